import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { NextConfig } from 'next'
import { nextImageContext } from './next-images.js'
import type { BuildContext } from './options.js'

const NEXT_CONFIGS = ['next.config.js', 'next.config.mjs', 'next.config.ts', 'next.config.mts', 'next.config.cjs']

/**
 * Where `image-invalidate plan` finds the pages of the project's last build, for the remote images they
 * show: a Next.js build's `<distDir>/server` (with the images config as Next.js loads it), else a Build
 * Output's `.vercel/output/static`. None when there is no build to read.
 */
export async function readLastBuildOutput(root: string): Promise<Pick<BuildContext, 'remote' | 'notOptimized'> | undefined> {
  const nextConfig = NEXT_CONFIGS.find((name) => existsSync(path.join(root, name)))
  if (nextConfig) {
    const config = await loadNextConfig(root)
    const distDir = config?.distDir ?? '.next'
    if (config && existsSync(path.join(root, distDir, 'server'))) {
      // Here the build has ended: the pages are there, nothing waits for the end of a process.
      const context = nextImageContext(config, root, distDir)
      return context.remote ? { remote: { ...context.remote, defer: undefined } } : context
    }
  }
  const staticOutput = path.join(root, '.vercel/output/static')
  return existsSync(staticOutput) ? { remote: { dirs: [staticOutput] } } : undefined
}

async function loadNextConfig(root: string): Promise<NextConfig | undefined> {
  try {
    const loader = createRequire(path.join(root, 'package.json')).resolve('next/dist/server/config.js')
    const module = (await import(pathToFileURL(loader).href)) as { default: LoadNextConfig | { default: LoadNextConfig } }
    const loadConfig = typeof module.default === 'function' ? module.default : module.default.default
    return await loadConfig('phase-production-build', root, { silent: true })
  } catch {
    return undefined
  }
}

type LoadNextConfig = (phase: string, dir: string, options?: { silent?: boolean }) => Promise<NextConfig>
