import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { repoRoot, run } from './fixture.js'
import { tempDir } from './tmp.js'
import { startVercelApi, type VercelApiStandIn } from '../stand-ins/vercel-api.mjs'

// Apps as they are before `image-invalidate init`, and running it (or doctor) against the API stand-in.

export const TOKEN = 'tok_INIT_SECRET_5a4b3c2d1e'
const cli = path.join(repoRoot, 'dist/cli.js')

/** The stand-in for a project whose production is live at `site.example.com` (its `alias`). */
export async function startProjectApi(options: { accountWebhooks?: boolean } = {}): Promise<VercelApiStandIn> {
  const started = await startVercelApi({ token: TOKEN, projectId: 'prj_1', envCount: 5, ...options })
  started.setDeployment('dpl_live', { readyState: 'READY', aliasAssigned: true })
  started.setProduction('dpl_live')
  return started
}

/** `image-invalidate <args>` in `dir`, with the token and the stand-in `api`; the project from .vercel/project.json. */
export const imageInvalidate = (api: VercelApiStandIn, dir: string, args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, [cli, ...args], { cwd: dir, env: { VERCEL_TOKEN: TOKEN, IMAGE_INVALIDATE_API_URL: api.origin, ...env } })

/**
 * Each fixture's config as the framework's starter has it, without the plugin, which `init` must add; and
 * the files of it that were there (the fixtures have the plugin and, for Next.js, a route already).
 */
const STARTER_CONFIGS: Record<string, { files: Record<string, string>; remove?: string[] }> = {
  'next-app': {
    files: { 'next.config.mjs': `/** @type {import('next').NextConfig} */\nconst nextConfig = {\n  reactStrictMode: true,\n}\n\nexport default nextConfig\n` },
    remove: ['app/api'],
  },
  'astro-app': {
    files: {
      'astro.config.mjs': `import { defineConfig } from 'astro/config'\nimport vercel from '@astrojs/vercel'\n\nexport default defineConfig({\n  output: 'static',\n  adapter: vercel(),\n})\n`,
    },
  },
  'nuxt-app': { files: { 'nuxt.config.ts': `export default defineNuxtConfig({\n  app: { baseURL: '/docs/' },\n  devtools: { enabled: false },\n})\n` } },
  'sveltekit-app': {
    files: {
      'vite.config.js': `import { sveltekit } from '@sveltejs/kit/vite';\nimport { defineConfig } from 'vite';\n\nexport default defineConfig({\n\tplugins: [sveltekit()]\n});\n`,
    },
  },
  'react-router-app': {
    files: {
      'vite.config.js': `import { reactRouter } from '@react-router/dev/vite'\nimport { defineConfig } from 'vite'\n\nexport default defineConfig({\n  plugins: [reactRouter()],\n})\n`,
    },
  },
  'vite-app': { files: { 'vite.config.js': `import { defineConfig } from 'vite'\n\nexport default defineConfig({})\n` } },
}

/** Turns a copy of a fixture into the app as it was before `init`: the starter config, linked to the project. */
export async function asBeforeInit(dir: string, name: string): Promise<void> {
  const starter = STARTER_CONFIGS[name]!
  for (const [file, content] of Object.entries(starter.files)) await writeFile(path.join(dir, file), content)
  for (const folder of starter.remove ?? []) await rm(path.join(dir, folder), { recursive: true, force: true })
  await mkdir(path.join(dir, '.vercel'), { recursive: true })
  await writeFile(path.join(dir, '.vercel/project.json'), JSON.stringify({ projectId: 'prj_1', orgId: 'user_standin' }))
}

/**
 * Turns a copy of a fixture made ready by `asBeforeInit` into a fresh app with no config (create-vite's
 * vanilla template has none, Next.js needs none): the config removed, the framework in package.json at
 * the version this repository installs, as the starter would list it.
 */
export async function withoutConfig(dir: string, config: string, framework: 'vite' | 'next'): Promise<void> {
  await rm(path.join(dir, config))
  const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>
  const { version } = JSON.parse(await readFile(path.join(repoRoot, 'node_modules', framework, 'package.json'), 'utf8')) as { version: string }
  // create-next-app lists next in dependencies, create-vite vite in devDependencies.
  const field = framework === 'next' ? 'dependencies' : 'devDependencies'
  await writeFile(path.join(dir, 'package.json'), `${JSON.stringify({ ...pkg, [field]: { [framework]: version } }, null, 2)}\n`)
}

/** A plain copy of a fixture's files (no node_modules): enough for what `init` reads and writes. */
export async function fixtureFiles(name: string): Promise<string> {
  const dir = await tempDir()
  await cp(path.join(repoRoot, 'fixtures', name), dir, { recursive: true })
  await asBeforeInit(dir, name)
  return dir
}

/** Every file below `dir` (but node_modules) with its content: what a run must leave as it was. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {}
  const walk = async (folder: string) => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name)
      if (entry.name === 'node_modules' || entry.name === '.next' || entry.name === 'dist') continue
      if (entry.isDirectory()) await walk(full)
      else files[path.relative(dir, full)] = await readFile(full, 'utf8').catch(() => '<unreadable>')
    }
  }
  await walk(dir)
  return files
}
