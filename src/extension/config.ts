/** The extension's settings, read fresh on each use. */
import * as vscode from 'vscode';
import { BACKEND_CHOICES, type BackendChoice } from '../numeric/backends';
import type { Budget } from '../numeric/protocol';

export interface Config {
  budget: Budget;
  seed: number;
  checkOnSave: boolean;
  backend: BackendChoice;
  /** Interpreter of the Python worker: user/machine settings or the environment only. */
  python: string;
}

export function readConfig(scope?: vscode.Uri): Config {
  const c = vscode.workspace.getConfiguration('derivlens', scope);
  const budget = c.get<string>('budget', 'default');
  return {
    budget: budget === 'quick' || budget === 'thorough' ? budget : 'default',
    seed: Math.max(0, Math.floor(c.get<number>('seed', 0))) >>> 0,
    checkOnSave: c.get<boolean>('checkOnSave', false),
    backend: (BACKEND_CHOICES as readonly string[]).includes(c.get<string>('backend', 'auto'))
      ? (c.get<string>('backend', 'auto') as BackendChoice)
      : 'auto',
    python: machinePython(c),
  };
}

/**
 * derivlens.pythonPath is machine-scoped, and only its user/default values are read: a cloned
 * repository's .vscode/settings.json must not be able to name the program DerivLens runs.
 */
function machinePython(c: vscode.WorkspaceConfiguration): string {
  const inspected = c.inspect<string>('pythonPath');
  return inspected?.globalValue || process.env['DERIVLENS_PYTHON'] || 'python3';
}
