/** The block registry: every block type the studio, CLI and compiler know. One line per block. */
import type { BlockDef } from './types';
import input from './input';
import output from './output';
import convStem from './conv-stem';
import patchEmbed from './patch-embed';
import downsample from './downsample';
import hartleySSM from './hartley-ssm';
import localConvSSM from './local-conv-ssm';
import heraclesMixer from './heracles-mixer';
import multiHeadAttention from './multi-head-attention';
import classAttention from './class-attention';
import ffn from './ffn';
import dense from './dense';
import activation from './activation';
import layerNorm from './layer-norm';
import batchNorm from './batch-norm';
import revin from './revin';
import revinDenorm from './revin-denorm';
import dropout from './dropout';
import dropPath from './drop-path';
import globalPool from './global-pool';
import flatten from './flatten';
import reshape from './reshape';
import add from './add';
import concat from './concat';
import classifierHead from './classifier-head';
import forecastHead from './forecast-head';
import heraclesBlock from './heracles-block';
import stage from './stage';
import group from './group';
import pretrainedBackbone from './pretrained-backbone';

export const blockList: BlockDef[] = [
  input,
  output,
  convStem,
  patchEmbed,
  downsample,
  hartleySSM,
  localConvSSM,
  heraclesMixer,
  multiHeadAttention,
  classAttention,
  ffn,
  dense,
  activation,
  layerNorm,
  batchNorm,
  revin,
  revinDenorm,
  dropout,
  dropPath,
  globalPool,
  flatten,
  reshape,
  add,
  concat,
  classifierHead,
  forecastHead,
  heraclesBlock,
  stage,
  group,
  pretrainedBackbone,
] as unknown as BlockDef[];

const byType = new Map(blockList.map((b) => [b.type, b]));
/** Types added at run time (code blocks from a trusted notebook); built-ins can never be replaced. */
const added = new Set<string>();

export const isBuiltinBlock = (type: string): boolean => byType.has(type) && !added.has(type);

/** Adds (or replaces an earlier added) block type. */
export function registerBlock(def: BlockDef): void {
  if (isBuiltinBlock(def.type)) throw new Error(`"${def.type}" is a built-in block type`);
  const old = byType.get(def.type);
  if (old) blockList.splice(blockList.indexOf(old), 1);
  blockList.push(def);
  byType.set(def.type, def);
  added.add(def.type);
}

export function unregisterBlock(type: string): void {
  if (!added.has(type)) return;
  blockList.splice(blockList.indexOf(byType.get(type) as BlockDef), 1);
  byType.delete(type);
  added.delete(type);
}

export function getBlock(type: string): BlockDef | undefined {
  return byType.get(type);
}

export const blockTypes = (): string[] => blockList.map((b) => b.type);

export * from './types';
