import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_PLAN_FILE } from '../src/shared/environment.js'
import { copyFixtureInRepo, freePort, nextCommand, repoRoot, withServer, type Fixture } from './helpers/fixture.js'
import { cacheEntries, fetchVariant, sameColour, until, writePng, type Rgb } from './helpers/next-images.js'

// Next.js caches optimized images by URL, width, quality and type, never by bytes, for
// images.minimumCacheTTL (4 hours in Next.js 16), across restarts: vercel/next.js #93075.
const RED: Rgb = { r: 200, g: 30, b: 30 }
const BLUE: Rgb = { r: 20, g: 40, b: 210 }
const GREEN: Rgb = { r: 30, g: 180, b: 60 }

let fixture: Fixture | undefined
afterEach(async () => {
  await fixture?.remove()
  fixture = undefined
})

/** `next dev` on 127.0.0.1 and a free port, for the length of `use`. */
async function dev(cwd: string, args: string[], use: (origin: string, output: () => string) => Promise<void>, env: Record<string, string> = {}): Promise<void> {
  const port = String(await freePort())
  await withServer(nextCommand('dev', '--hostname', '127.0.0.1', '--port', port, ...args), { cwd, env: { NEXT_TELEMETRY_DISABLED: '1', ...env } }, use)
}

const config = (options: string) =>
  `import { withImageInvalidate } from 'unplugin-image-invalidate/next'\nexport default withImageInvalidate({ reactStrictMode: true }, ${options})\n`

describe('next dev: the variants of a replaced public image', () => {
  it('Turbopack: fresh at once and across a restart, another image keeps its entry, nothing planned; without the plugin, stale', async () => {
    fixture = await copyFixtureInRepo('next-app')
    const hero = fixture.path('public/images/hero.png')
    const cache = fixture.path('.next/dev/cache/images')
    let photoEntry: string[] = []

    await dev(
      fixture.dir,
      [],
      async (origin, output) => {
        expect(await fetchVariant(origin, '/images/hero.png')).toMatchObject({ width: 64, height: 48, cache: 'MISS' })
        const before = await cacheEntries(cache)
        await fetchVariant(origin, '/images/my photo.png')
        photoEntry = (await cacheEntries(cache)).filter((entry) => !before.includes(entry))
        expect(photoEntry).toHaveLength(1)

        await writePng(hero, 40, 30, RED)
        await until('the line about hero.png', () => output().includes('[image-invalidate] /images/hero.png changed: 1 cached variant removed'))
        const fresh = await fetchVariant(origin, '/images/hero.png')
        expect(fresh).toMatchObject({ width: 40, height: 30, cache: 'MISS' })
        expect(sameColour(fresh.colour, RED), JSON.stringify(fresh.colour)).toBe(true)
        // Exactly that image's entries: the other one is the same file, served from the cache.
        expect(await cacheEntries(cache)).toEqual(expect.arrayContaining(photoEntry))
        expect((await fetchVariant(origin, '/images/my photo.png')).cache).toBe('HIT')
        // Planning is for production builds: never in next dev, even told to plan.
        expect(output()).not.toContain('hashed in')
      },
      { IMAGE_INVALIDATE: '1', IMAGE_INVALIDATE_BASELINE: 'none.json' },
    )
    expect(existsSync(fixture.path('public/_image-invalidate.json'))).toBe(false)
    expect(existsSync(fixture.path(DEFAULT_PLAN_FILE))).toBe(false)

    // Replaced while no dev server runs: the next one removes the old variant before it is asked for.
    await writePng(hero, 24, 18, BLUE)
    await dev(fixture.dir, [], async (origin, output) => {
      await until('the line about hero.png', () =>
        output().includes('[image-invalidate] /images/hero.png changed since the last dev server: 1 cached variant removed'),
      )
      const fresh = await fetchVariant(origin, '/images/hero.png')
      expect(fresh).toMatchObject({ width: 24, height: 18, cache: 'MISS' })
      expect(sameColour(fresh.colour, BLUE), JSON.stringify(fresh.colour)).toBe(true)
      expect(await cacheEntries(cache)).toEqual(expect.arrayContaining(photoEntry))
    })

    // The control: the same steps with `dev: false` serve the old picture, before and after a restart.
    await writeFile(fixture.path('next.config.mjs'), config('{ dev: false }'))
    await dev(fixture.dir, [], async (origin, output) => {
      expect(await fetchVariant(origin, '/images/hero.png')).toMatchObject({ width: 24, height: 18, cache: 'HIT' })
      await writePng(hero, 48, 36, GREEN)
      // The server has the new picture (it serves the file itself with its new bytes), and its optimized
      // variant is still the old one: nothing but the plugin would remove it.
      const green = await readFile(hero)
      await until('the new hero.png served as a file', async () => Buffer.from(await (await fetch(`${origin}/images/hero.png`)).arrayBuffer()).equals(green))
      expect(await fetchVariant(origin, '/images/hero.png')).toMatchObject({ width: 24, height: 18, cache: 'HIT' })
      expect(output()).not.toContain('[image-invalidate]')
    })
    await dev(fixture.dir, [], async (origin) => {
      expect(await fetchVariant(origin, '/images/hero.png')).toMatchObject({ width: 24, height: 18, cache: 'HIT' })
    })
    // Four dev servers: 18 s beside the whole suite at a load average of 6 on this shared machine, 67 s at 14.
    // 180 s leaves 2.7x.
  }, 180_000)

  it('--webpack, a config function with basePath, started from another folder: fresh at once', async () => {
    fixture = await copyFixtureInRepo('next-app')
    await writeFile(
      fixture.path('next.config.mjs'),
      `import { withImageInvalidate } from 'unplugin-image-invalidate/next'\nexport default withImageInvalidate(async () => ({ basePath: '/docs' }))\n`,
    )
    const hero = fixture.path('public/images/hero.png')
    // `next dev <dir>` keeps the working directory: the plugin finds the project by its config file.
    await dev(repoRoot, ['--webpack', fixture.dir], async (origin, output) => {
      expect(await fetchVariant(origin, '/docs/images/hero.png', '/docs')).toMatchObject({ width: 64, height: 48, cache: 'MISS' })
      await writePng(hero, 40, 30, RED)
      await until('the line about hero.png', () => output().includes('[image-invalidate] /docs/images/hero.png changed: 1 cached variant removed'))
      const fresh = await fetchVariant(origin, '/docs/images/hero.png', '/docs')
      expect(fresh).toMatchObject({ width: 40, height: 30, cache: 'MISS' })
      expect(sameColour(fresh.colour, RED), JSON.stringify(fresh.colour)).toBe(true)
      expect(output()).not.toContain('(Turbopack)')
    })
  })
})
