// What a Next.js config says about its images, for the plan: whether Vercel optimizes them at all, which
// remote ones it may, and where `next build` leaves the pages that show them.
import path from 'node:path'
import type { NextConfig } from 'next'
import type { BuildContext } from './options.js'
import { atBuildEnd } from './build-end.js'

/**
 * Why Vercel optimizes none of this app's images, or undefined when it does: `images.unoptimized`, a
 * custom loader (`loaderFile`, or a `loader` other than Next.js's own), or `output: 'export'` (served as
 * files, with no optimizer). Then no variant is cached on Vercel and nothing is planned.
 */
export function notOptimizedByVercel(config: NextConfig): string | undefined {
  const images = config.images ?? {}
  if (config.output === 'export') return "output: 'export'"
  if (images.unoptimized === true) return 'images.unoptimized: true'
  if (images.loaderFile) return `a custom loader (images.loaderFile ${JSON.stringify(images.loaderFile)})`
  if (images.loader && images.loader !== 'default') return `images.loader ${JSON.stringify(images.loader)}`
  return undefined
}

/**
 * The remote images step of a `next build`: the prerendered pages and RSC payloads of the app and pages
 * routers (`<distDir>/server/app`, `<distDir>/server/pages`), `images.remotePatterns` and `domains` as
 * the config withImageInvalidate wraps gives them, and `images.dangerouslyAllowLocalIP`. Next.js writes
 * those pages after `runAfterProductionCompile`, so the step waits for the end of the build.
 */
export function nextImageContext(config: NextConfig, projectDir: string, distDir: string): Pick<BuildContext, 'remote' | 'notOptimized'> {
  const notOptimized = notOptimizedByVercel(config)
  if (notOptimized) return { notOptimized }
  const serverDir = path.join(path.resolve(projectDir, distDir), 'server')
  return {
    remote: {
      dirs: [path.join(serverDir, 'app'), path.join(serverDir, 'pages')],
      imageConfig: { images: config.images ?? {}, source: 'next.config images' },
      allowLocalIP: config.images?.dangerouslyAllowLocalIP === true,
      defer: atBuildEnd,
    },
  }
}
