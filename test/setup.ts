import fc from 'fast-check';

// Property tests are reproducible: a fixed seed unless FC_SEED asks for another.
const seed = Number(process.env['FC_SEED'] ?? 20261129);
fc.configureGlobal({ seed, numRuns: 25 });
