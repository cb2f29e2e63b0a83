// TypeDoc reads the source through TypeScript's JavaScript API, which TypeScript 7 (the
// compiler this project builds and tests its declarations with) no longer ships: TypeDoc is
// given TypeScript 6 (devDependency `typescript-6`) instead, by this resolve hook, and only it.
import { register } from 'node:module';

register('data:text/javascript,' + encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier === 'typescript' && context.parentURL && context.parentURL.includes('/node_modules/typedoc/')) return next('typescript-6', context);
  return next(specifier, context);
}`));
