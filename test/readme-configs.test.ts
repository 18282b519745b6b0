// @module-tag floor
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { parseModule } from 'magicast'
import { describe, expect, it } from 'vitest'
import { repoRoot } from './helpers/fixture.js'

// The README's config blocks are pasted as they are into fresh apps: every function they call must be
// imported there (or be one the framework provides to its config), from a package a fresh app of that
// framework has, or this one.

/** What a fresh app of each framework can import in its config, and what its config has without an import. */
const FRESH_APPS: Record<string, { modules: string[]; globals: string[] }> = {
  next: { modules: ['next', 'unplugin-image-invalidate/next'], globals: [] },
  vite: { modules: ['vite', 'unplugin-image-invalidate/vite'], globals: [] },
  astro: { modules: ['astro/config', 'unplugin-image-invalidate/astro'], globals: [] },
  // Nuxt provides defineNuxtConfig to nuxt.config without an import.
  nuxt: { modules: [], globals: ['defineNuxtConfig'] },
}

/** Each block of the Frameworks section (and the quick start's "by hand" one), with the config it names just before it. */
async function configBlocks(): Promise<Array<{ config: string; code: string }>> {
  const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8')
  const start = readme.indexOf('### By hand')
  const end = readme.indexOf('### Tested with')
  const blocks: Array<{ config: string; code: string }> = []
  for (const match of readme.slice(start, end).matchAll(/([^\n]*)\n\n```(?:ts|js)\n([\s\S]*?)```/g)) {
    const config = /(next|vite|astro|nuxt)\.config\.\w+/.exec(`${match[1]}\n${match[2]}`)?.[1]
    if (config) blocks.push({ config, code: match[2]! })
  }
  return blocks
}

type Node = Record<string, unknown> & { type: string }

function nodesOf(node: unknown, found: Node[] = []): Node[] {
  if (Array.isArray(node)) for (const item of node) nodesOf(item, found)
  else if (node && typeof node === 'object') {
    if (typeof (node as Node).type === 'string') found.push(node as Node)
    for (const [key, value] of Object.entries(node)) if (key !== 'loc') nodesOf(value, found)
  }
  return found
}

describe("the README's config blocks", () => {
  it('name a config for every framework the Frameworks section covers', async () => {
    expect(new Set((await configBlocks()).map((block) => block.config))).toEqual(new Set(Object.keys(FRESH_APPS)))
  })

  it('call only what they import from a package a fresh app has, or what the framework provides', async () => {
    for (const { config, code } of await configBlocks()) {
      const fresh = FRESH_APPS[config]!
      const program = parseModule(code).$ast as unknown as { body: Node[] }
      const imports = program.body.filter((statement) => statement.type === 'ImportDeclaration')
      for (const statement of imports) expect(fresh.modules, `${config}: ${code}`).toContain((statement.source as { value: string }).value)
      const bound = new Set([
        ...fresh.globals,
        ...nodesOf(imports)
          .filter((node) => node.type.startsWith('Import') && node.type.endsWith('Specifier'))
          .map((node) => (node.local as { name: string }).name),
        ...nodesOf(program.body.filter((statement) => statement.type === 'VariableDeclaration'))
          .filter((node) => node.type === 'VariableDeclarator')
          .map((node) => (node.id as { name: string }).name),
      ])
      const called = nodesOf(program.body)
        .filter((node) => node.type === 'CallExpression' && (node.callee as Node).type === 'Identifier')
        .map((node) => (node.callee as { name: string }).name)
      expect(called.length, code).toBeGreaterThan(0)
      for (const name of called) expect(bound.has(name), `${config}: ${name} is called but not imported:\n${code}`).toBe(true)
    }
  })
})
