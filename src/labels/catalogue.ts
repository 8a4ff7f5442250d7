import { Registry } from '../registry.js';
import { imbalanceProfileList } from './imbalance/index.js';
import { noiseModels } from './noise/index.js';
import type { AnyImbalanceProfile, AnyLabelNoiseModel } from './types.js';

/** Every built-in label-noise model: symmetric, uniform-mix, pair-flip, asym, idn. */
export const labelNoise: Registry<AnyLabelNoiseModel> = new Registry<AnyLabelNoiseModel>('noise model', noiseModels);

/** Every built-in class-imbalance profile: longtail, step. */
export const imbalanceProfiles: Registry<AnyImbalanceProfile> = new Registry<AnyImbalanceProfile>('imbalance profile', imbalanceProfileList);
