/** Every layer class the ONNX exporter translates, one rule each (grouped by family). */
import type { LayerRule } from '../context';
import { ATTENTION_RULES } from './attention';
import { CONV_RULES } from './conv';
import { CORE_RULES } from './core';
import { NORM_RULES } from './norm';
import { SERIES_RULES } from './series';
import { SPECTRAL_RULES } from './spectral';

export const ONNX_RULES: Readonly<Record<string, LayerRule>> = {
  ...CORE_RULES,
  ...CONV_RULES,
  ...NORM_RULES,
  ...SPECTRAL_RULES,
  ...ATTENTION_RULES,
  ...SERIES_RULES,
};
