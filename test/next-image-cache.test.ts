import { existsSync } from 'node:fs'
import { mkdir, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createManifest, serializeManifest } from '../src/core/manifest.js'
import { watchInNextDev } from '../src/next-image-cache/dev.js'
import { watchPublicImages, type DevWatch } from '../src/next-image-cache/dev-watch.js'
import { loadCacheNaming, type CacheNaming } from '../src/next-image-cache/naming.js'
import { pruneImageCache } from '../src/next-image-cache/prune.js'
import { loadHashCache } from '../src/shared/hash-cache.js'
import { repoRoot, run } from './helpers/fixture.js'
import { until } from './helpers/next-images.js'
import { tempDir } from './helpers/tmp.js'

/** The naming of the `next` in this repository's node_modules, with Next.js's default image config. */
function naming(config = {}, dev = false): CacheNaming {
  const loaded = loadCacheNaming(repoRoot, config, dev)
  if ('problem' in loaded) throw new Error(loaded.problem)
  return loaded
}

/** A cache folder holding an entry (a folder with one file, as Next.js writes it) for each key. */
async function fillCache(cacheDir: string, keys: string[]): Promise<void> {
  for (const key of keys) {
    await mkdir(path.join(cacheDir, key), { recursive: true })
    await writeFile(path.join(cacheDir, key, '14400.1.etag.upstream.webp'), 'variant')
  }
}

const entries = async (cacheDir: string) => (await readdir(cacheDir).catch(() => [] as string[])).sort()

describe('the naming of Next.js image cache entries', () => {
  it('covers the widths, qualities and formats the config allows, and the dev-only blur sizes in dev', () => {
    const images = { deviceSizes: [100], imageSizes: [], qualities: [50, 80], formats: ['image/avif', 'image/webp'] }
    // 1 width x 2 qualities x 3 types (AVIF, WebP, the source's own).
    expect(naming({ images }).keysOf('/a.png')).toHaveLength(6)
    // In dev, widths 1 to 8 and quality 70 too: 9 x 3 x 3.
    expect(naming({ images }, true).keysOf('/a.png')).toHaveLength(81)
    // A space gives a second spelling of the URL, as some write it: twice the keys, none shared.
    const spaced = naming({ images }).keysOf('/my photo.png')
    expect(new Set(spaced).size).toBe(12)
  })

  // The cache is filled with the naming's own keys: this checks the removal and its counts. That the naming
  // gives the keys a real Next.js writes is checked in next.test.ts, on the cache `next start` filled.
  it('removes exactly the entries the naming gives for the images named, and counts them; a dry run removes nothing', async () => {
    const dir = await tempDir()
    const cacheDir = path.join(dir, 'images')
    const names = naming()
    const a = names.keysOf('/a.png').slice(0, 3)
    const b = names.keysOf('/b.png').slice(0, 2)
    await fillCache(cacheDir, [...a, ...b, 'remote-image-entry'])

    const dry = await pruneImageCache(cacheDir, ['/a.png', '/gone.png'], () => names, { dryRun: true })
    expect(Object.fromEntries(dry.removed)).toEqual({ '/a.png': 3, '/gone.png': 0 })
    expect(await entries(cacheDir)).toHaveLength(6)

    const result = await pruneImageCache(cacheDir, ['/a.png', '/gone.png'], () => names)
    expect(Object.fromEntries(result.removed)).toEqual({ '/a.png': 3, '/gone.png': 0 })
    expect(await entries(cacheDir)).toEqual([...b, 'remote-image-entry'].sort())
  })

  it('without a Next.js that names its entries, removes the whole folder and says why', async () => {
    const dir = await tempDir()
    const cacheDir = path.join(dir, 'images')
    await fillCache(cacheDir, ['one', 'two'])
    // No `next` can be resolved from a folder outside the repository.
    const none = loadCacheNaming(dir, {}, false)
    expect(none).toEqual({ problem: expect.stringContaining(`Next.js's image optimizer could not be loaded from ${dir}`) })
    const result = await pruneImageCache(cacheDir, ['/a.png'], () => none)
    expect(result.wholeCache).toEqual({ reason: (none as { problem: string }).problem, entries: 2 })
    expect(existsSync(cacheDir)).toBe(false)
  })
})

describe('the dev watcher', () => {
  let watch: DevWatch | undefined
  afterEach(() => {
    watch?.close()
    watch = undefined
  })

  async function setUp(files: Record<string, string>) {
    const dir = await tempDir(Object.fromEntries(Object.entries(files).map(([name, content]) => [`public/${name}`, content])))
    const cacheDir = path.join(dir, '.next/dev/cache/images')
    const lines: string[] = []
    const start = () => {
      watch = watchPublicImages({
        projectDir: repoRoot,
        publicDir: path.join(dir, 'public'),
        cacheDir,
        recordFile: path.join(dir, '.next/dev/cache/image-invalidate.json'),
        config: {},
        logger: { info: (line) => lines.push(line), warn: (line) => lines.push(`warn: ${line}`) },
      })
      return watch
    }
    return { dir, cacheDir, lines, start, names: naming({}, true) }
  }

  it('removes the entries of a changed or removed image, leaves a touched one, and watches new and remade folders', async () => {
    const { dir, cacheDir, lines, start, names } = await setUp({ 'a.png': 'a', 'sub/b.png': 'b', 'notes.txt': 'x' })
    const [a, b] = [names.keysOf('/a.png').slice(0, 3), names.keysOf('/sub/b.png').slice(0, 2)]
    await start().ready
    // The first dev server knows no bytes: nothing was cached, nothing to say.
    expect(lines).toEqual([])
    expect(existsSync(path.join(dir, '.next/dev/cache/image-invalidate.json'))).toBe(true)

    await fillCache(cacheDir, [...a, ...b])
    await writeFile(path.join(dir, 'public/a.png'), 'other bytes')
    await utimes(path.join(dir, 'public/sub/b.png'), new Date(), new Date())
    await writeFile(path.join(dir, 'public/notes.txt'), 'not an image')
    await watch!.idle()
    await until('a line', () => lines.length > 0)
    expect(lines).toEqual(['[image-invalidate] /a.png changed: 3 cached variants removed'])
    expect(await entries(cacheDir)).toEqual([...b].sort())

    await rm(path.join(dir, 'public/sub'), { recursive: true })
    await until('a second line', () => lines.length > 1)
    expect(lines[1]).toBe('[image-invalidate] /sub/b.png removed: 2 cached variants removed')

    // The same folder made again is watched anew.
    const record = path.join(dir, '.next/dev/cache/image-invalidate.json')
    await mkdir(path.join(dir, 'public/sub'))
    await writeFile(path.join(dir, 'public/sub/b.png'), 'b again')
    await until('b.png in the record', async () => (await loadHashCache(record, path.join(dir, 'public'))).has('/sub/b.png'))
    await fillCache(cacheDir, b.slice(0, 1))
    await writeFile(path.join(dir, 'public/sub/b.png'), 'b, changed')
    await until('a third line', () => lines.length > 2)
    expect(lines[2]).toBe('[image-invalidate] /sub/b.png changed: 1 cached variant removed')

    await mkdir(path.join(dir, 'public/new/deep'), { recursive: true })
    await writeFile(path.join(dir, 'public/new/deep/c.png'), 'c')
    // Known (recorded) once the new folders are watched.
    await until('c.png in the record', async () => (await loadHashCache(record, path.join(dir, 'public'))).has('/new/deep/c.png'))
    await fillCache(cacheDir, names.keysOf('/new/deep/c.png').slice(0, 1))
    await writeFile(path.join(dir, 'public/new/deep/c.png'), 'c, changed')
    await until('a fourth line', () => lines.length > 3)
    expect(lines.slice(3)).toEqual(['[image-invalidate] /new/deep/c.png changed: 1 cached variant removed'])
  })

  it('at start, removes what changed while no dev server ran, and nothing of what did not', async () => {
    const { dir, cacheDir, lines, start, names } = await setUp({ 'a.png': 'a', 'b.png': 'b' })
    await start().ready
    watch!.close()
    await fillCache(cacheDir, [...names.keysOf('/a.png').slice(0, 2), ...names.keysOf('/b.png').slice(0, 2)])
    await writeFile(path.join(dir, 'public/a.png'), 'a, while the server was down')
    await start().ready
    expect(lines).toEqual(['[image-invalidate] /a.png changed since the last dev server: 2 cached variants removed'])
    expect(await entries(cacheDir)).toEqual(names.keysOf('/b.png').slice(0, 2).sort())
  })

  it('with no image in the public folder, reads no file and writes nothing', async () => {
    const { dir, lines, start } = await setUp({ 'robots.txt': 'x' })
    await start().ready
    expect(lines).toEqual([])
    expect(existsSync(path.join(dir, '.next'))).toBe(false)
  })
})

describe('image-invalidate prune-next-cache, bad input', () => {
  const cli = path.join(repoRoot, 'dist/cli.js')
  const releaseManifest = () =>
    createManifest({ buildId: 'build_d', basePath: '', images: { '/a.png': { hash: 'a'.repeat(64), size: 1 } }, plan: { baseline: null, srcImages: [] } })

  it('names the manifests it looked for when there is none', async () => {
    const dir = await tempDir()
    const result = await run(process.execPath, [cli, 'prune-next-cache'], { cwd: dir })
    expect(result.code).toBe(1)
    const [served, plan] = [path.join(dir, 'public/_image-invalidate.json'), path.join(dir, 'node_modules/.cache/unplugin-image-invalidate/plan.json')]
    expect(result.stdout).toBe(`error: no manifest at ${served} or ${plan}: run next build with withImageInvalidate first, or pass --plan\n`)
  })

  it('names an unreadable --from and takes every image of the release instead; an unknown flag is a usage error', async () => {
    const manifest = createManifest({
      buildId: 'build_d',
      basePath: '',
      images: { '/a.png': { hash: 'a'.repeat(64), size: 1 } },
      plan: { baseline: null, srcImages: [] },
    })
    const dir = await tempDir({
      'public/_image-invalidate.json': serializeManifest(manifest),
      '.next/BUILD_ID': 'build_d',
      '.next/cache/images/some-key/1.2.e.u.webp': 'variant',
    })
    const result = await run(process.execPath, [cli, 'prune-next-cache', '--from', 'typo.json'], { cwd: dir })
    expect(result.code, result.output).toBe(0)
    expect(result.stderr).toContain(`[image-invalidate] --from typo.json: ${path.join(dir, 'typo.json')} has no manifest (no such file`)
    expect(result.stderr).toContain(': every image of build_d counts as changed\n')
    // No `next` is installed there to name the entries by: the whole folder goes, and the line says so.
    expect(result.stdout).toMatch(/^removed the whole image cache \.next\/cache\/images \(1 entry\), since Next\.js's image optimizer could not be loaded/)

    const usage = await run(process.execPath, [cli, 'prune-next-cache', '--dirr', '.next'], { cwd: dir })
    expect(usage.code).toBe(2)
    expect(usage.stderr).toBe("image-invalidate: prune-next-cache has no option --dirr\nRun 'image-invalidate prune-next-cache --help' for usage.\n")
  })

  it('a --dir that does not exist, or holds no Next.js build: exit 1, one sentence naming it, nothing created', async () => {
    const dir = await tempDir({ 'public/_image-invalidate.json': serializeManifest(releaseManifest()), 'public/a.png': 'a' })
    const before = await readdir(dir, { recursive: true })
    for (const [given, problem] of [
      [path.join(dir, 'nonexistent'), `the build folder ${path.join(dir, 'nonexistent')} does not exist`],
      ['public', `${path.join(dir, 'public')} holds no Next.js build (no BUILD_ID in it)`],
    ]) {
      for (const dryRun of [[], ['--dry-run']]) {
        const result = await run(process.execPath, [cli, 'prune-next-cache', '--dir', given!, ...dryRun], { cwd: dir })
        expect(result.code, result.output).toBe(1)
        expect(result.stdout).toBe(`error: ${problem}: run next build first, or pass --dir with your distDir (default .next)\n`)
      }
    }
    expect(await readdir(dir, { recursive: true })).toEqual(before)
  })

  // A fresh server's first start: next build made no image cache, which is normal; the release is recorded
  // so that the next one is compared with it.
  it('a build with no image cache yet: nothing to remove, exit 0, and the release recorded for the next', async () => {
    const dir = await tempDir({ 'public/_image-invalidate.json': serializeManifest(releaseManifest()), '.next/BUILD_ID': 'build_d' })
    const result = await run(process.execPath, [cli, 'prune-next-cache'], { cwd: dir })
    expect(result.code, result.output).toBe(0)
    expect(result.stderr).toContain(
      `no image cache yet in ${path.join(dir, '.next/cache/images')}: nothing to remove; build_d is recorded for the next release`,
    )
    expect(existsSync(path.join(dir, '.next/cache/image-invalidate-manifest.json'))).toBe(true)
  })

  it('never prints the protection bypass secret, even from a --from URL that carries it', async () => {
    const secret = 'bypass-secret-4f9a'
    const manifest = createManifest({
      buildId: 'build_d',
      basePath: '',
      images: { '/a.png': { hash: 'a'.repeat(64), size: 1 } },
      plan: { baseline: null, srcImages: [] },
    })
    const dir = await tempDir({ 'public/_image-invalidate.json': serializeManifest(manifest), '.next/BUILD_ID': 'build_d' })
    const from = `http://127.0.0.1:1/_image-invalidate.json?x-vercel-protection-bypass=${secret}`
    for (const json of [[], ['--json']]) {
      const result = await run(process.execPath, [cli, 'prune-next-cache', '--from', from, ...json], {
        cwd: dir,
        env: { VERCEL_AUTOMATION_BYPASS_SECRET: secret },
      })
      expect(result.code, result.output).toBe(0)
      expect(result.output).toContain('?x-vercel-protection-bypass=[redacted]')
      expect(result.output).not.toContain(secret)
    }
  })
})

describe('withImageInvalidate in next dev', () => {
  let watch: DevWatch | undefined
  afterEach(() => {
    watch?.close()
    watch = undefined
  })

  /** A project with one image: a dev watcher, once ready, has written its record. */
  async function project() {
    const dir = await tempDir({ 'public/a.png': 'a' })
    const lines: string[] = []
    const logger = { info: (line: string) => lines.push(line), warn: (line: string) => lines.push(`warn: ${line}`) }
    const record = path.join(dir, '.next/dev/cache/image-invalidate.json')
    return { dir, lines, logger, record }
  }
  const dev = 'phase-development-server'

  it.each([
    ['a production build', {}, {}, 'phase-production-build', {}],
    ['dev: false', {}, { dev: false }, dev, {}],
    ['enabled: false', {}, { enabled: false }, dev, {}],
    ['IMAGE_INVALIDATE=0', {}, {}, dev, { IMAGE_INVALIDATE: '0' }],
    ['images.unoptimized', { images: { unoptimized: true } }, {}, dev, {}],
    ['a config object outside next dev', {}, {}, undefined, {}],
  ])('does nothing for %s', async (_, config, options, phase, env) => {
    const { dir, lines, logger } = await project()
    expect(watchInNextDev(config, options, { phase, configDir: dir, nextVersion: '16.4.6', env, logger })).toBeUndefined()
    expect(lines).toEqual([])
  })

  it('says that a custom cacheHandler for images is not reached, and watches nothing', async () => {
    const { dir, lines, logger } = await project()
    const config = { cacheHandler: './handler.js', images: { customCacheHandler: true } as never }
    expect(watchInNextDev(config, {}, { phase: dev, configDir: dir, nextVersion: '16.4.6', env: {}, logger })).toBeUndefined()
    expect(lines).toEqual([
      '[image-invalidate] images.customCacheHandler is on: optimized images live in your cacheHandler, which this plugin does not reach in next dev',
    ])
  })

  it('names a dev option of the wrong type and watches all the same, in a config object under next dev too', async () => {
    const { dir, lines, logger, record } = await project()
    watch = await watchInNextDev(
      {},
      { dev: 'yes' as never },
      { phase: undefined, configDir: dir, nextVersion: '16.4.6', env: { __NEXT_DEV_SERVER: '1' }, logger },
    )
    await watch!.ready
    expect(existsSync(record)).toBe(true)
    expect(lines).toEqual(['warn: [image-invalidate] option dev: "yes" is not true or false; ignored'])
  })
})
