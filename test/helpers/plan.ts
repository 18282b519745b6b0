import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createManifest, serializeManifest } from '../../src/core/manifest.js'

/** The source images `/img/0.png` ... `/img/<n-1>.png`. */
export const images = (n: number) => Array.from({ length: n }, (_, i) => `/img/${i}.png`)

/** Writes a manifest whose plan holds `srcImages`, as a build would, and returns its path. */
export async function writePlan(
  dir: string,
  srcImages: string[],
  options: { buildId?: string; basePath?: string; name?: string; images?: Record<string, string> } = {},
): Promise<string> {
  const file = path.join(dir, options.name ?? 'plan.json')
  const manifest = createManifest({
    // A build made outside Vercel (`vercel build` in CI) has no deployment id: its flip is seen on the site.
    buildId: options.buildId ?? 'build_new',
    basePath: options.basePath ?? '',
    // Image key -> a letter standing for its bytes.
    images: Object.fromEntries(Object.entries(options.images ?? {}).map(([key, bytes]) => [key, { hash: bytes.repeat(64), size: 1 }])),
    plan: { baseline: 'build_old', srcImages: [...srcImages].sort() },
  })
  await mkdir(dir, { recursive: true })
  await writeFile(file, serializeManifest(manifest))
  return file
}

/**
 * Two builds as a site serves them: the live one (`build_old`) and the new one (`build_new`, planning
 * `srcImages`, each with other bytes than in the live one), each a folder holding its `_image-invalidate.json`.
 */
export async function twoDeployments(srcImages: string[], makeDir: () => Promise<string>): Promise<{ live: string; next: string }> {
  const [live, next] = await Promise.all([makeDir(), makeDir()])
  const bytes = (letter: string) => Object.fromEntries(srcImages.map((src) => [src, letter]))
  await writePlan(live, [], { buildId: 'build_old', name: '_image-invalidate.json', images: bytes('a') })
  await writePlan(next, srcImages, { buildId: 'build_new', name: '_image-invalidate.json', images: bytes('b') })
  return { live, next }
}
