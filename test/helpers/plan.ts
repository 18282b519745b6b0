import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createManifest, serializeManifest } from '../../src/core/manifest.js'

/** The source images `/img/0.png` ... `/img/<n-1>.png`. */
export const images = (n: number) => Array.from({ length: n }, (_, i) => `/img/${i}.png`)

/** Writes a manifest whose plan holds `srcImages`, as a build would, and returns its path. */
export async function writePlan(dir: string, srcImages: string[], options: { buildId?: string; basePath?: string; name?: string } = {}): Promise<string> {
  const file = path.join(dir, options.name ?? 'plan.json')
  const manifest = createManifest({
    buildId: options.buildId ?? 'dpl_new',
    basePath: options.basePath ?? '',
    digests: new Map(),
    plan: { baseline: 'dpl_old', srcImages: [...srcImages].sort() },
  })
  await mkdir(dir, { recursive: true })
  await writeFile(file, serializeManifest(manifest))
  return file
}
