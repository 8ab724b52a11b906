/** Every custom layer of the project, registered with tfjs serialization on import. */
export { SpectralFilter } from './spectral-filter';
export { DepthwiseConv } from './depthwise-conv';
export { HeraclesMixer } from './heracles-mixer';
export { SelfAttention } from './self-attention';
export { ClassAttention } from './class-attention';
export { DropPath } from './drop-path';
export { RevIN, RevINDenorm } from './revin';
export { ZeroPad1D } from './zero-pad-1d';
export { LayerNorm } from './layer-norm';
export { BatchNorm } from './batch-norm';
export { CodeLayer } from './code-layer';
