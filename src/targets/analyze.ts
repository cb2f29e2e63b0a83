// Static facts about a module's source, for target shipping: which functions it exports (under
// what name), which function starts at a given offset, and which outer names a function uses.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as Acorn from 'acorn';
import { packageRoot } from '../util/here.js';

// Loaded on first use: only a parent describing a target needs a parser, never a child's boot.
let parser: typeof Acorn | undefined;
const acorn = {
  parse: (...args: Parameters<typeof Acorn.parse>) => (parser ??= createRequire(join(packageRoot, 'package.json'))('acorn') as typeof Acorn).parse(...args),
};

type Node = Acorn.Node & Record<string, unknown>;

export interface ModuleFacts {
  /** local binding name → exported name */
  exported: Map<string, string>;
  /** source text of each exported function/class → exported name */
  byText: Map<string, string>;
  /** the modules it imports or re-exports from (specifiers as written) */
  imports: string[];
  ast: Node;
  source: string;
}

export function parseModule(source: string): ModuleFacts | null {
  let ast: Node;
  try {
    ast = acorn.parse(source, { ecmaVersion: 'latest', sourceType: 'module', allowHashBang: true, allowAwaitOutsideFunction: true }) as unknown as Node;
  } catch {
    try {
      ast = acorn.parse(source, { ecmaVersion: 'latest', sourceType: 'script', allowHashBang: true, allowReturnOutsideFunction: true }) as unknown as Node;
    } catch {
      return null;
    }
  }
  const exported = new Map<string, string>();
  const byText = new Map<string, string>();
  const imports: string[] = [];
  const text = (n: Node) => source.slice(n.start, n.end);
  const declare = (decl: Node, exportName?: string) => {
    if (decl.type === 'FunctionDeclaration' || decl.type === 'ClassDeclaration') {
      const id = decl.id as Node | null;
      const name = exportName ?? (id?.name as string);
      if (id) exported.set(id.name as string, name);
      byText.set(text(decl), name);
    } else if (decl.type === 'VariableDeclaration') {
      for (const d of decl.declarations as Node[]) {
        const id = d.id as Node;
        if (id.type !== 'Identifier') continue;
        exported.set(id.name as string, id.name as string);
        const init = d.init as Node | null;
        if (init && /Function|Class/.test(init.type)) byText.set(text(init), id.name as string);
      }
    }
  };
  for (const stmt of ast.body as Node[]) {
    const from = stmt.source as Node | null | undefined;
    if (from && typeof from.value === 'string') imports.push(from.value);
    if (stmt.type === 'ExportNamedDeclaration') {
      if (stmt.declaration) declare(stmt.declaration as Node);
      if (!stmt.source) {
        for (const s of stmt.specifiers as Node[]) {
          const local = (s.local as Node).name as string;
          const name = ((s.exported as Node).name ?? (s.exported as Node).value) as string;
          if (!exported.has(local)) exported.set(local, name);
        }
      }
    } else if (stmt.type === 'ExportDefaultDeclaration') {
      const d = stmt.declaration as Node;
      if (d.type === 'Identifier') exported.set(d.name as string, 'default');
      else declare(d, 'default');
      if (/Function|Class/.test(d.type)) byText.set(text(d), 'default');
    } else if (stmt.type === 'ExpressionStatement') {
      cjsExports(stmt.expression as Node, exported);
    }
  }
  // Functions declared then exported by a specifier: record their text too.
  walk(ast, (n) => {
    if ((n.type === 'FunctionDeclaration' || n.type === 'ClassDeclaration') && n.id) {
      const name = exported.get((n.id as Node).name as string);
      if (name && !byText.has(text(n))) byText.set(text(n), name);
    } else if (n.type === 'VariableDeclarator' && (n.id as Node).type === 'Identifier' && n.init) {
      const name = exported.get((n.id as Node).name as string);
      if (name && /Function|Class/.test((n.init as Node).type)) byText.set(text(n.init as Node), name);
    }
  });
  return { exported, byText, imports, ast, source };
}

// exports.x = f; module.exports.x = f; module.exports = { x, y: f }
function cjsExports(e: Node, exported: Map<string, string>): void {
  if (e.type !== 'AssignmentExpression') return;
  const left = e.left as Node, right = e.right as Node;
  const isModuleExports = (n: Node) => n.type === 'MemberExpression' && (n.object as Node).name === 'module' && (n.property as Node).name === 'exports';
  if (left.type === 'MemberExpression' && !left.computed) {
    const obj = left.object as Node;
    if (obj.name === 'exports' || isModuleExports(obj)) {
      const name = (left.property as Node).name as string;
      if (right.type === 'Identifier') exported.set(right.name as string, name);
      else if (right.type === 'FunctionExpression' && right.id) exported.set((right.id as Node).name as string, name);
    } else if (isModuleExports(left) && right.type === 'ObjectExpression') {
      for (const p of right.properties as Node[]) {
        if (p.type !== 'Property' || p.computed) continue;
        const key = ((p.key as Node).name ?? (p.key as Node).value) as string;
        if ((p.value as Node).type === 'Identifier') exported.set((p.value as Node).name as string, key);
      }
    }
  }
}

export function walk(n: Node, visit: (n: Node, parent: Node | null) => void, parent: Node | null = null): void {
  visit(n, parent);
  for (const key of Object.keys(n)) {
    if (key === 'type' || key === 'start' || key === 'end') continue;
    const v = n[key];
    if (Array.isArray(v)) {
      for (const c of v) if (c && typeof c === 'object' && typeof c.type === 'string') walk(c, visit, n);
    } else if (v && typeof v === 'object' && typeof (v as Node).type === 'string') {
      walk(v as Node, visit, n);
    }
  }
}

/** The function or class that begins at `offset`, and the name it is bound to in its module. */
export function functionAt(facts: ModuleFacts, offset: number): { node: Node; binding: string | null } | null {
  let best: { node: Node; binding: string | null } | null = null;
  walk(facts.ast, (n, parent) => {
    if (!/Function|Class/.test(n.type) || n.type.endsWith('Body')) return;
    if (n.start > offset || n.end <= offset) return;
    if (best && best.node.start >= n.start && best.node.end <= n.end) return;
    let binding: string | null = null;
    if (n.id) binding = (n.id as Node).name as string;
    if (parent?.type === 'VariableDeclarator' && parent.init === n) binding = ((parent.id as Node).name as string) ?? binding;
    if (parent?.type === 'ExportDefaultDeclaration') binding = binding ?? '*default*';
    best = { node: n, binding };
  });
  return best;
}

/** Names a function uses that it neither declares nor receives: what it would need from outside. */
export function freeNames(fnSource: string): string[] | null {
  let ast: Node;
  try {
    ast = acorn.parse(`(${fnSource})`, { ecmaVersion: 'latest', sourceType: 'script' }) as unknown as Node;
  } catch {
    return null; // not an expression (e.g. a method shorthand): cannot be sent by source
  }
  const declared = new Set<string>();
  const used = new Set<string>();
  const declarePattern = (p: Node | null): void => {
    if (!p) return;
    switch (p.type) {
      case 'Identifier': declared.add(p.name as string); break;
      case 'ObjectPattern': for (const q of p.properties as Node[]) declarePattern((q.type === 'RestElement' ? q.argument : q.value) as Node); break;
      case 'ArrayPattern': for (const q of p.elements as (Node | null)[]) declarePattern(q); break;
      case 'RestElement': declarePattern(p.argument as Node); break;
      case 'AssignmentPattern': declarePattern(p.left as Node); break;
    }
  };
  walk(ast, (n, parent) => {
    switch (n.type) {
      case 'FunctionDeclaration': case 'FunctionExpression': case 'ArrowFunctionExpression':
        if (n.id) declared.add((n.id as Node).name as string);
        for (const p of n.params as Node[]) declarePattern(p);
        return;
      case 'ClassDeclaration': case 'ClassExpression':
        if (n.id) declared.add((n.id as Node).name as string);
        return;
      case 'VariableDeclarator': declarePattern(n.id as Node); return;
      case 'CatchClause': declarePattern(n.param as Node | null); return;
      case 'Identifier': {
        if (!parent) break;
        if (parent.type === 'MemberExpression' && parent.property === n && !parent.computed) return;
        if ((parent.type === 'Property' || parent.type === 'MethodDefinition' || parent.type === 'PropertyDefinition') && parent.key === n && !parent.computed) {
          if (!(parent.type === 'Property' && parent.shorthand)) return;
        }
        if (/Labeled|Break|Continue/.test(parent.type)) return;
        if (parent.type === 'MetaProperty') return;
        used.add(n.name as string);
      }
    }
  });
  return [...used].filter((u) => !declared.has(u) && u !== 'arguments' && u !== 'undefined');
}
