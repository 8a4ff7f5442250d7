import { fileURLToPath } from 'node:url';

/** The package's root folder, whether running from src/ (tsx) or dist/ (built): both sit one level down. */
export const PACKAGE_ROOT: string = fileURLToPath(new URL('..', import.meta.url));

/** A path inside the package's bundled assets. */
export function assetPath(...parts: string[]): string {
  return fileURLToPath(new URL(['..', 'assets', ...parts].join('/'), import.meta.url));
}
