/** The extension's settings, read fresh on each use, in the form the language server takes them. */
import * as vscode from 'vscode';
import { BACKEND_CHOICES, type BackendChoice } from '../numeric/backends';
import type { Settings } from '../server/ext';

export function readSettings(scope?: vscode.Uri): Settings {
  const c = vscode.workspace.getConfiguration('derivlens', scope);
  const budget = c.get<string>('budget', 'default');
  const backend = c.get<string>('backend', 'auto');
  return {
    budget: budget === 'quick' || budget === 'thorough' ? budget : 'default',
    seed: Math.max(0, Math.floor(c.get<number>('seed', 0))) >>> 0,
    backend: (BACKEND_CHOICES as readonly string[]).includes(backend) ? (backend as BackendChoice) : 'auto',
    pythonPath: machinePython(c),
    trusted: vscode.workspace.isTrusted,
  };
}

export function checkOnSave(scope?: vscode.Uri): boolean {
  return vscode.workspace.getConfiguration('derivlens', scope).get<boolean>('checkOnSave', false);
}

/**
 * derivlens.pythonPath is machine-scoped, and only its user/default values are read: a cloned
 * repository's .vscode/settings.json must not be able to name the program DerivLens runs.
 */
function machinePython(c: vscode.WorkspaceConfiguration): string {
  const inspected = c.inspect<string>('pythonPath');
  return inspected?.globalValue || process.env['DERIVLENS_PYTHON'] || 'python3';
}
