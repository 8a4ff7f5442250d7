// tfjs-core's Node entry point registers no gradient functions; tfjs-layers' Node bundle
// registers all of core's as a side effect. Every backend needs them (attacks, training).
import '@tensorflow/tfjs-layers';
