/**
 * Loads a model DIR for a command that only reads it (export, serve): every way the folder can be
 * wrong — missing, not a model, corrupt JSON, missing or short weights, a topology tfjs rejects — becomes
 * a UsageError (exit code 2) that names the folder, never a stack trace.
 */
import { loadModelDir } from '../io/model-dir';
import type { LoadedModel } from '../io/model-dir';
import { DataError } from '../data/types';
import { UsageError } from './train';

export async function loadModelForCommand(command: string, dir: string | undefined): Promise<LoadedModel> {
  if (!dir)
    throw new UsageError([`heracles ${command}: name a trained model folder (written by heracles train)`]);
  try {
    return await loadModelDir(dir);
  } catch (e) {
    if (e instanceof DataError) throw new UsageError([e.message]);
    throw new UsageError([`${dir}: cannot load the model: ${(e as Error).message ?? String(e)}`]);
  }
}
