import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type * as Vite from 'vite'
import { urlPrefixOfVite } from './url-prefix.js'

export interface ProjectBasePath {
  basePath: string
  /** Where it was read, for the line that says so (inside its parentheses, so none of its own): `basePath in next.config.mjs`. */
  source: string
  /** Set when the project's prefix cannot be known from its config (a relative Vite base). */
  problem?: string
}

const NEXT_CONFIGS = ['next.config.js', 'next.config.mjs', 'next.config.ts', 'next.config.mts', 'next.config.cjs']
const VITE_CONFIGS = ['vite.config.js', 'vite.config.mjs', 'vite.config.ts', 'vite.config.mts', 'vite.config.cjs', 'vite.config.cts']

/**
 * The prefix a build of the project at `root` would give its source images, read through the project's own
 * Next.js or Vite config loader (so a config function, TypeScript or env-based value reads as the build
 * reads it). Undefined when the project has neither config, or its bundler is not installed there.
 */
export async function readProjectBasePath(root: string): Promise<ProjectBasePath | undefined> {
  const requireFromRoot = createRequire(path.join(root, 'package.json'))
  const nextConfig = NEXT_CONFIGS.find((name) => existsSync(path.join(root, name)))
  if (nextConfig) {
    const loader = resolveFrom(requireFromRoot, 'next/dist/server/config.js')
    if (loader) {
      const module = (await import(pathToFileURL(loader).href)) as { default: LoadNextConfig | { default: LoadNextConfig } }
      const loadConfig = typeof module.default === 'function' ? module.default : module.default.default
      const config = await loadConfig('phase-production-build', root, { silent: true })
      return { basePath: config.basePath ?? '', source: `basePath in ${nextConfig}` }
    }
  }
  const viteConfig = VITE_CONFIGS.find((name) => existsSync(path.join(root, name)))
  if (viteConfig) {
    const entry = resolveFrom(requireFromRoot, 'vite')
    if (entry) {
      const vite = (await import(pathToFileURL(entry).href)) as typeof Vite
      const loaded = await vite.loadConfigFromFile({ command: 'build', mode: 'production' }, path.join(root, viteConfig), root, 'silent')
      const base = loaded?.config.base ?? '/'
      // The rule the plugin applies to the resolved config, on the config as written.
      const prefix = urlPrefixOfVite({ ...loaded?.config, base }, process.env)
      return { basePath: prefix.basePath ?? '', source: `base ${JSON.stringify(base)} in ${viteConfig}`, problem: prefix.basePathUnknown }
    }
  }
  return undefined
}

type LoadNextConfig = (phase: string, dir: string, options?: { silent?: boolean }) => Promise<{ basePath?: string }>

function resolveFrom(requireFromRoot: NodeJS.Require, id: string): string | undefined {
  try {
    return requireFromRoot.resolve(id)
  } catch {
    return undefined
  }
}
