import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { builders, generateCode, parseModule, type ProxifiedModule } from 'magicast'
import { addNuxtModule, addVitePlugin, getDefaultExportOptions } from 'magicast/helpers'
import { isRecord } from '../core/json.js'
import type { FileChange } from './files.js'
import type { DetectedApp, Framework } from './frameworks.js'

/** What adding the plugin to the app's config comes to. */
export type ConfigPlan =
  | { kind: 'present'; file: string }
  | { kind: 'edit'; file: string; before: string; after: string }
  /** The app has no config: a minimal one of the framework's, with the plugin. */
  | { kind: 'create'; file: string; after: string }
  /** The config is absent or of a shape magicast cannot edit safely: left alone, with the lines to add. */
  | { kind: 'manual'; file: string | undefined; reason: string; lines: string }

/** The name the config gives to what it imports from this package's entry: `withImageInvalidate`, `imageInvalidate`. */
const LOCAL_NAME: Record<string, string> = { next: 'withImageInvalidate', default: 'imageInvalidate' }

/**
 * How to add the plugin to the app's config, computed in memory: nothing is written here. The edit is
 * checked by parsing its result again and finding the plugin there; an edit that does not show it (a config
 * function, a CommonJS export) is not offered. An app with no config gets the framework's minimal one, with
 * the plugin, where the config is optional (Vite, Next.js, Astro, Nuxt).
 */
export function planConfigEdit(app: DetectedApp, root: string): ConfigPlan {
  const { framework, configFile } = app
  const manual = (reason: string): ConfigPlan => ({ kind: 'manual', file: configFile, reason, lines: framework.manualLines })
  if (!configFile) {
    const starter = starterConfig(app)
    if (!starter) return manual(`no ${framework.configs.join(', ')} found (a ${framework.label} app has one, with the framework's own plugin)`)
    return { kind: 'create', file: path.join(root, starter.file), after: starter.content }
  }
  const before = readFileSync(configFile, 'utf8')
  const edited = addedToConfig(framework, before, path.basename(configFile))
  if ('problem' in edited) return manual(edited.problem)
  return edited.present ? { kind: 'present', file: configFile } : { kind: 'edit', file: configFile, before, after: edited.after }
}

/** The config `before` with the plugin added, or what keeps init from doing it safely. */
function addedToConfig(framework: Framework, before: string, name: string): { after: string; present: boolean } | { problem: string } {
  let module: ProxifiedModule
  try {
    module = parseModule(before)
  } catch (error) {
    return { problem: `${name} could not be parsed (${(error as Error).message})` }
  }
  if (hasPlugin(framework, module)) return { after: before, present: true }
  let after: string
  try {
    addPlugin(framework, module)
    after = keepFinalNewline(before, generateCode(module, { format: indentationOf(before) }).code)
  } catch (error) {
    return { problem: `${name} has a shape init cannot edit safely (${(error as Error).message})` }
  }
  if (!hasPlugin(framework, parseModule(after)))
    return { problem: `${name} has a shape init cannot edit safely (its default export is not a config object or call init knows)` }
  return { after, present: false }
}

/**
 * The config an app starts from when it has none (create-vite's vanilla template has no vite.config), with
 * the plugin, in the app's module style: TypeScript with a tsconfig.json, else an ES module. None for
 * SvelteKit and React Router, whose config holds their own plugin.
 */
function starterConfig(app: DetectedApp): { file: string; content: string } | undefined {
  const { typescript, framework } = app
  const lines = (...text: string[]) => `${text.join('\n')}\n`
  // A `.js` file is an ES module only where package.json says so; `.mjs` always is.
  const javascript = app.esm ? 'js' : 'mjs'
  switch (framework.name) {
    case 'vite':
      return {
        file: `vite.config.${typescript ? 'ts' : javascript}`,
        content: lines(
          `import { defineConfig } from 'vite'`,
          `import imageInvalidate from '${framework.entry}'`,
          '',
          'export default defineConfig({',
          '  plugins: [imageInvalidate()],',
          '})',
        ),
      }
    case 'next': {
      const wrap = [`import { withImageInvalidate } from '${framework.entry}'`, '']
      const config = typescript ? ['const nextConfig: NextConfig = {}'] : ["/** @type {import('next').NextConfig} */", 'const nextConfig = {}']
      const file = typescript ? 'next.config.ts' : 'next.config.mjs'
      return {
        file,
        content: lines(
          ...(typescript ? ["import type { NextConfig } from 'next'"] : []),
          ...wrap,
          ...config,
          '',
          'export default withImageInvalidate(nextConfig)',
        ),
      }
    }
    case 'astro':
      return {
        file: typescript ? 'astro.config.ts' : 'astro.config.mjs',
        content: lines(
          `import { defineConfig } from 'astro/config'`,
          `import imageInvalidate from '${framework.entry}'`,
          '',
          'export default defineConfig({',
          '  integrations: [imageInvalidate()],',
          '})',
        ),
      }
    case 'nuxt':
      return {
        file: typescript ? 'nuxt.config.ts' : 'nuxt.config.mjs',
        content: lines('export default defineNuxtConfig({', `  modules: ['${framework.entry}'],`, '})'),
      }
    default:
      return undefined
  }
}

function keepFinalNewline(before: string, after: string): string {
  return before.endsWith('\n') && !after.endsWith('\n') ? `${after}\n` : after
}

/**
 * Tabs kept as tabs: magicast's own guess re-indents the lines it prints again with too many of them
 * (seen on SvelteKit's template); recast counts a tab as 4 columns there.
 */
function indentationOf(code: string): { useTabs: true; tabWidth: number } | undefined {
  return /^\t/m.test(code) ? { useTabs: true, tabWidth: 4 } : undefined
}

/** Whether the app's config has the plugin; undefined when it has no config or cannot be parsed. */
export function configHasPlugin(app: DetectedApp): boolean | undefined {
  if (!app.configFile) return undefined
  try {
    return hasPlugin(app.framework, parseModule(readFileSync(app.configFile, 'utf8')))
  } catch {
    return undefined
  }
}

function addPlugin(framework: Framework, module: ProxifiedModule): void {
  switch (framework.name) {
    case 'next':
      return wrapNextExport(module, framework.entry)
    case 'astro': {
      const options = getDefaultExportOptions(module)
      module.imports.$append({ from: framework.entry, imported: 'default', local: LOCAL_NAME.default! })
      options.integrations ||= []
      options.integrations.push(builders.functionCall(LOCAL_NAME.default!))
      return
    }
    case 'nuxt':
      return addNuxtModule(module, framework.entry)
    default:
      addVitePlugin(module, { from: framework.entry, constructor: LOCAL_NAME.default! })
  }
}

/**
 * `export default X` becomes `export default withImageInvalidate(X)`, whatever X is (an object, a name, a
 * function, another wrapper's call), edited on the syntax tree: magicast's proxies stop at a call of a call.
 */
function wrapNextExport(module: ProxifiedModule, entry: string): void {
  const program = module.$ast as unknown as { body: Array<{ type: string; declaration?: unknown }> }
  const exported = program.body.find((statement) => statement.type === 'ExportDefaultDeclaration')
  if (!exported || !isRecord(exported.declaration) || /Declaration$/.test(String(exported.declaration.type)))
    throw new Error('no `export default <config>` (a CommonJS module.exports is not edited)')
  module.imports.$append({ from: entry, imported: LOCAL_NAME.next! })
  exported.declaration = { type: 'CallExpression', callee: { type: 'Identifier', name: LOCAL_NAME.next }, arguments: [exported.declaration] }
}

/**
 * The plugin is in the config when something imported from this package's entry is used beyond its import
 * (called, or listed), or, for Nuxt, when the module's name is listed.
 */
function hasPlugin(framework: Framework, module: ProxifiedModule): boolean {
  const program = module.$ast as unknown as { body: unknown[] }
  const locals = importedNames(program.body, framework.entry)
  const rest = program.body.filter((statement) => !isImportOf(statement, framework.entry))
  return rest.some((statement) =>
    someNode(
      statement,
      (node) => (node.type === 'Identifier' && locals.has(node.name as string)) || (node.type === 'StringLiteral' && node.value === framework.entry),
    ),
  )
}

function isImportOf(statement: unknown, entry: string): boolean {
  return isRecord(statement) && statement.type === 'ImportDeclaration' && isRecord(statement.source) && statement.source.value === entry
}

function importedNames(body: unknown[], entry: string): Set<string> {
  const names = new Set<string>()
  for (const statement of body) {
    if (!isImportOf(statement, entry)) continue
    for (const specifier of (statement as { specifiers: Array<{ local: { name: string } }> }).specifiers) names.add(specifier.local.name)
  }
  return names
}

/** Whether any node of the tree under `node` satisfies `test`. */
function someNode(node: unknown, test: (node: Record<string, unknown>) => boolean): boolean {
  if (Array.isArray(node)) return node.some((item) => someNode(item, test))
  if (!isRecord(node)) return false
  if (typeof node.type === 'string' && test(node)) return true
  return Object.entries(node).some(([key, value]) => key !== 'loc' && key !== 'comments' && typeof value === 'object' && someNode(value, test))
}

/**
 * The path prefix the app serves its routes under, read from the config as written: Next.js `basePath`,
 * Astro and Vite `base`, Nuxt `app.baseURL`, SvelteKit `kit.paths.base` (in svelte.config.js). '' when none
 * is set; undefined when it is set to something that is not a plain string (an expression of the
 * environment), or the config's shape hides it, which only the app's owner can then say (`--url`).
 */
export function readConfigBasePath(app: DetectedApp, root: string): string | undefined {
  const source = basePathSource(app, root)
  if (!source) return ''
  let config: AstNode | undefined
  try {
    config = defaultConfigObject(parseModule(readFileSync(source.file, 'utf8')))
  } catch {
    return undefined
  }
  if (!config) return undefined
  const value = source.keys.reduce<AstNode | null | undefined>((object, key) => object && propertyOf(object, key), config)
  if (value === undefined) return ''
  const text = value === null ? undefined : stringOf(value)
  if (text === undefined || (text !== '' && !text.startsWith('/'))) return undefined
  return text.replace(/\/+$/, '')
}

type AstNode = Record<string, unknown> & { type: string }

function basePathSource(app: DetectedApp, root: string): { file: string; keys: string[] } | undefined {
  if (app.framework.name === 'sveltekit') {
    const file = app.framework.markers.map((name) => path.join(root, name)).find((candidate) => existsSync(candidate))
    return file ? { file, keys: ['kit', 'paths', 'base'] } : undefined
  }
  if (!app.configFile) return undefined
  const keys: Record<string, string[]> = { next: ['basePath'], nuxt: ['app', 'baseURL'] }
  return { file: app.configFile, keys: keys[app.framework.name] ?? ['base'] }
}

/**
 * The object literal the default export configures with, through the wrappers configs use:
 * `defineConfig({...})`, `withX(config, options)`, `withX(options)(config)`, a name declared at the top
 * level, `config satisfies Type`. Undefined for a config function or anything else.
 */
function defaultConfigObject(module: ProxifiedModule): AstNode | undefined {
  const program = module.$ast as unknown as { body: AstNode[] }
  let node = program.body.find((statement) => statement.type === 'ExportDefaultDeclaration')?.declaration as AstNode | undefined
  for (let depth = 0; node && depth < 10; depth++) {
    if (node.type === 'ObjectExpression') return node
    if (node.type === 'CallExpression') node = (node.arguments as AstNode[])[0]
    else if (node.type === 'TSSatisfiesExpression' || node.type === 'TSAsExpression') node = node.expression as AstNode
    else if (node.type === 'Identifier') node = topLevelValue(program.body, node.name as string)
    else return undefined
  }
  return undefined
}

function topLevelValue(body: AstNode[], name: string): AstNode | undefined {
  for (const statement of body) {
    if (statement.type !== 'VariableDeclaration') continue
    const declarator = (statement.declarations as AstNode[]).find((item) => (item.id as AstNode).name === name)
    if (declarator) return (declarator.init as AstNode | null) ?? undefined
  }
  return undefined
}

/** The value of `key` in an object literal: undefined when absent, null when the object is not a literal. */
function propertyOf(object: AstNode, key: string): AstNode | null | undefined {
  if (object.type !== 'ObjectExpression') return null
  const property = (object.properties as AstNode[]).find((item) => {
    const name = item.key as AstNode | undefined
    return item.type === 'ObjectProperty' && !item.computed && (name?.name === key || name?.value === key)
  })
  return property ? (property.value as AstNode) : undefined
}

function stringOf(node: AstNode): string | undefined {
  if (node.type === 'StringLiteral') return node.value as string
  const quasis = node.quasis as Array<{ value: { cooked: string } }> | undefined
  if (node.type === 'TemplateLiteral' && quasis?.length === 1) return quasis[0]!.value.cooked
  return undefined
}

/** What registering the webhook route in React Router's route config comes to. */
export type RouteRegistration = { kind: 'present' } | { kind: 'edit'; change: FileChange } | { kind: 'manual'; line: string }

const ROUTE_CONFIGS = ['app/routes.ts', 'app/routes.js', 'app/routes.mts', 'app/routes.mjs', 'app/routes.tsx', 'app/routes.jsx']

/**
 * React Router lists its routes in `app/routes.ts`: an array gains `route('api/image-invalidate', ...)`
 * (and the import of `route`); `flatRoutes()` finds the module by its file name, so it needs nothing.
 * Any other shape is left alone, with the line to add.
 */
export function planRouteRegistration(root: string, routeModule: string): RouteRegistration {
  const line = `route('api/image-invalidate', '${routeModule}') // from '@react-router/dev/routes', in app/routes`
  const file = ROUTE_CONFIGS.map((name) => path.join(root, name)).find((candidate) => existsSync(candidate))
  if (!file) return { kind: 'manual', line }
  const before = readFileSync(file, 'utf8')
  try {
    const module = parseModule(before)
    const routes = module.exports.default as { $type?: string; $callee?: string; push?: (item: unknown) => void }
    if (routes?.$type === 'function-call' && routes.$callee === 'flatRoutes') return { kind: 'present' }
    if (routes?.$type !== 'array' || !routes.push) return { kind: 'manual', line }
    if (someNode(module.$ast, (node) => node.type === 'StringLiteral' && node.value === 'api/image-invalidate')) return { kind: 'present' }
    routes.push(builders.functionCall('route', 'api/image-invalidate', routeModule))
    if (!importedNames((module.$ast as unknown as { body: unknown[] }).body, '@react-router/dev/routes').has('route'))
      module.imports.$append({ from: '@react-router/dev/routes', imported: 'route' })
    const after = keepFinalNewline(before, generateCode(module, { format: indentationOf(before) }).code)
    return { kind: 'edit', change: { file, before, after } }
  } catch {
    return { kind: 'manual', line }
  }
}
