// @module-tag floor
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { configHasPlugin, planConfigEdit, planRouteRegistration, readConfigBasePath } from '../src/setup/config.js'
import { detectApp } from '../src/setup/frameworks.js'
import { gitignoreChange } from '../src/setup/files.js'
import { lineDiff } from '../src/setup/line-diff.js'
import { workflowFor } from '../src/setup/workflow.js'
import { repoRoot } from './helpers/fixture.js'
import { tempDir } from './helpers/tmp.js'

/** The plan for the app made of `files`, and its base path as read from its config. */
async function planFor(files: Record<string, string>) {
  const dir = await tempDir(files)
  const app = detectApp(dir)
  return { app, plan: planConfigEdit(app, dir), basePath: readConfigBasePath(app, dir), dir }
}

describe('adding the plugin to a config (magicast)', () => {
  it('Next.js: a wrapped export is wrapped once more, keeping the rest; its basePath is read through the wrappers', async () => {
    const { plan, basePath } = await planFor({
      'next.config.mjs': `import withBundleAnalyzer from '@next/bundle-analyzer'\n\nconst nextConfig = { basePath: '/docs' }\n\nexport default withBundleAnalyzer({ enabled: true })(nextConfig)\n`,
    })
    expect(plan.kind === 'edit' && plan.after).toBe(
      `import withBundleAnalyzer from '@next/bundle-analyzer'\n\nimport { withImageInvalidate } from 'unplugin-image-invalidate/next';\n\nconst nextConfig = { basePath: '/docs' }\n\nexport default withImageInvalidate(withBundleAnalyzer({ enabled: true })(nextConfig));\n`,
    )
    expect(basePath).toBe('/docs')
  })

  it('Next.js: next.config.ts with satisfies and a config function are wrapped as they are', async () => {
    const typed = await planFor({ 'next.config.ts': `import type { NextConfig } from 'next'\n\nexport default { output: 'export' } satisfies NextConfig\n` })
    expect(typed.plan.kind === 'edit' && typed.plan.after).toContain(`export default withImageInvalidate({ output: 'export' } satisfies NextConfig);`)
    const phased = await planFor({ 'next.config.js': `export default (phase) => ({ basePath: process.env.BASE })\n` })
    expect(phased.plan.kind === 'edit' && phased.plan.after).toContain('export default withImageInvalidate((phase) => ({')
    // A config function's basePath is only known when it runs: unknown, not ''.
    expect(phased.basePath).toBeUndefined()
  })

  it('Next.js: a CommonJS config is left alone, with the lines to add', async () => {
    const { plan } = await planFor({ 'next.config.js': `module.exports = { reactStrictMode: true }\n` })
    expect(plan).toMatchObject({ kind: 'manual', reason: expect.stringContaining('CommonJS') })
    expect(plan.kind === 'manual' && plan.lines).toContain("import { withImageInvalidate } from 'unplugin-image-invalidate/next'")
  })

  it('Vite: a config function is left alone (magicast adds an import but no plugin there), an object gains plugins', async () => {
    const fn = await planFor({ 'vite.config.ts': `import { defineConfig } from 'vite'\nexport default defineConfig(({ mode }) => ({ plugins: [] }))\n` })
    expect(fn.plan.kind).toBe('manual')
    const bare = await planFor({ 'vite.config.js': `export default {}\n` })
    expect(bare.plan.kind === 'edit' && bare.plan.after).toMatch(/plugins: \[imageInvalidate\(\)\]/)
  })

  it('SvelteKit: tabs stay tabs; the base path comes from svelte.config.js', async () => {
    const { plan, basePath } = await planFor({
      'svelte.config.js': `export default { kit: { paths: { base: '/docs' } } }\n`,
      'vite.config.js': `import { sveltekit } from '@sveltejs/kit/vite';\nimport { defineConfig } from 'vite';\n\nexport default defineConfig({\n\tplugins: [sveltekit()]\n});\n`,
    })
    expect(plan.kind === 'edit' && plan.after).toContain('\n\tplugins: [sveltekit(), imageInvalidate()]\n')
    expect(basePath).toBe('/docs')
  })

  it('Astro integrations and Nuxt modules are added to; a config that has the plugin is left as it is', async () => {
    const astro = await planFor({ 'astro.config.mjs': `import { defineConfig } from 'astro/config'\nexport default defineConfig({ integrations: [mdx()] })\n` })
    expect(astro.plan.kind === 'edit' && astro.plan.after).toContain('integrations: [mdx(), imageInvalidate()]')
    const nuxt = await planFor({ 'nuxt.config.ts': `export default defineNuxtConfig({ modules: ['@nuxt/image'], app: { baseURL: '/docs/' } })\n` })
    expect(nuxt.plan.kind === 'edit' && nuxt.plan.after).toContain(`modules: ['@nuxt/image', 'unplugin-image-invalidate/nuxt']`)
    expect(nuxt.basePath).toBe('/docs')
    const present = await planFor({ 'nuxt.config.ts': `export default defineNuxtConfig({ modules: ['unplugin-image-invalidate/nuxt'] })\n` })
    expect(present.plan.kind).toBe('present')
  })
})

describe('an app with no config', () => {
  it.each([
    ['vite', { devDependencies: { vite: '8.3.8' } }, false, 'vite.config.mjs'],
    ['vite', { type: 'module', devDependencies: { vite: '8.3.8' } }, false, 'vite.config.js'],
    ['vite', { type: 'module', devDependencies: { vite: '8.3.8' } }, true, 'vite.config.ts'],
    ['next', { dependencies: { next: '16.4.6' } }, false, 'next.config.mjs'],
    ['next', { dependencies: { next: '16.4.6' } }, true, 'next.config.ts'],
    ['astro', { dependencies: { astro: '7.3.5' } }, false, 'astro.config.mjs'],
    ['nuxt', { dependencies: { nuxt: '4.4.5' } }, true, 'nuxt.config.ts'],
  ] as const)('%s (%j, TypeScript: %s) gets %s, minimal, with the plugin', async (_framework, pkg, typescript, file) => {
    const { plan, dir } = await planFor({ 'package.json': JSON.stringify(pkg), ...(typescript ? { 'tsconfig.json': '{}' } : {}) })
    expect(plan).toMatchObject({ kind: 'create', file: `${dir}/${file}` })
    // Written, it is a config init finds the plugin in.
    const written = await tempDir({ 'package.json': JSON.stringify(pkg), [file]: plan.kind === 'create' ? plan.after : '' })
    expect(configHasPlugin(detectApp(written))).toBe(true)
  })

  it("SvelteKit's config holds its own plugin: not made up, the user is told", async () => {
    const { plan } = await planFor({ 'package.json': JSON.stringify({ devDependencies: { '@sveltejs/kit': '2.70.0' } }) })
    expect(plan).toMatchObject({ kind: 'manual', reason: expect.stringContaining('a SvelteKit app has one, with the framework') })
  })
})

describe('the GitHub workflow for an app below the repository root', () => {
  const template = readFileSync(path.join(repoRoot, 'examples/github-workflow.yml'), 'utf8')

  it('at the root with its lock there: the template as it is', () => {
    expect(workflowFor({ appFolder: '', lockFolder: '' }, template)).toBe(template)
  })

  it("in apps/web with its own lock: the job's steps run there, setup-node caches by that lock", () => {
    const text = workflowFor({ appFolder: 'apps/web', lockFolder: 'apps/web' }, template)
    expect(lineDiff(template, text).filter((line) => line.startsWith('+'))).toEqual([
      '+     # The app is in apps/web (a monorepo): its run steps run there.',
      '+     defaults:',
      '+       run:',
      '+         working-directory: apps/web',
      '+           cache-dependency-path: apps/web/package-lock.json',
    ])
  })

  it('in apps/web of npm workspaces (the lock at the root): npm ci runs at the root', () => {
    const text = workflowFor({ appFolder: 'apps/web', lockFolder: '' }, template)
    expect(text).toContain('      - run: npm ci\n        working-directory: .\n')
    expect(text).not.toContain('cache-dependency-path')
  })
})

describe("React Router's route config", () => {
  it('an array (with satisfies) gains the route and the import of route; flatRoutes() needs nothing; a call of another kind is left to the user', async () => {
    const listed = await tempDir({
      'app/routes.ts': `import { type RouteConfig, index } from '@react-router/dev/routes'\n\nexport default [index('routes/home.tsx')] satisfies RouteConfig\n`,
    })
    const edit = planRouteRegistration(listed, 'routes/api.image-invalidate.ts')
    expect(edit.kind === 'edit' && edit.change.after).toBe(
      `import { type RouteConfig, index, route } from '@react-router/dev/routes';\n\nexport default [\n  index('routes/home.tsx'),\n  route('api/image-invalidate', 'routes/api.image-invalidate.ts')\n] satisfies RouteConfig\n`,
    )
    const flat = await tempDir({ 'app/routes.ts': `import { flatRoutes } from '@react-router/fs-routes'\nexport default flatRoutes()\n` })
    expect(planRouteRegistration(flat, 'routes/api.image-invalidate.ts')).toEqual({ kind: 'present' })
    const other = await tempDir({ 'app/routes.ts': `export default await buildRoutes()\n` })
    expect(planRouteRegistration(other, 'routes/api.image-invalidate.ts')).toMatchObject({
      kind: 'manual',
      line: expect.stringContaining("route('api/image-invalidate'"),
    })
  })
})

describe('the rest of what init writes', () => {
  it('.gitignore gains the Next.js manifest once, with a newline kept before it', async () => {
    const dir = await tempDir({ 'next.config.mjs': 'export default {}\n', '.gitignore': 'node_modules' })
    const change = gitignoreChange(detectApp(dir), dir)
    expect(change?.after).toBe('node_modules\n# written by each build (unplugin-image-invalidate)\n/public/_image-invalidate.json\n')
    const listed = await tempDir({ 'next.config.mjs': 'export default {}\n', '.gitignore': 'public/_image-invalidate.json\n' })
    expect(gitignoreChange(detectApp(listed), listed)).toBeUndefined()
  })

  it('lineDiff shows the changed lines with one line of context, removals first', () => {
    expect(lineDiff('a\nb\nc\nd\ne\n', 'a\nb\nC\nd\ne\n')).toEqual(['  b', '- c', '+ C', '  d'])
  })
})
