/** The extension's settings, read fresh on each use. */
import * as vscode from 'vscode';
import type { Budget } from '../numeric/protocol';

export interface Config {
  budget: Budget;
  seed: number;
  checkOnSave: boolean;
  backend: 'cpu';
}

export function readConfig(scope?: vscode.Uri): Config {
  const c = vscode.workspace.getConfiguration('derivlens', scope);
  const budget = c.get<string>('budget', 'default');
  return {
    budget: budget === 'quick' || budget === 'thorough' ? budget : 'default',
    seed: Math.max(0, Math.floor(c.get<number>('seed', 0))) >>> 0,
    checkOnSave: c.get<boolean>('checkOnSave', false),
    backend: 'cpu',
  };
}
