/** A small real audit grid for tests: seconds, not minutes, on the bundled model and data. */
export const TINY_GRID = [
  '--limit', '48',
  '--corruptions', 'gaussian_noise,contrast',
  '--severities', '1,5',
  '--attacks', 'fgsm:linf:0.05 pgd:linf:0.02,0.05:steps=2',
  '--attack-limit', '24',
  '--bootstrap', '200',
  // 48 images are too few for the label families' probes; test/audit/labels.test.ts covers them.
  '--families', 'clean,corruption,attack',
];

/** The bundled CNN twice, once labelled SSL and once supervised: a verdict must find no difference. */
export const TWIN_MODELS = ['--model', 'twin-ssl=fmnist-cnn:ssl', '--model', 'twin-sup=fmnist-cnn:supervised'];
