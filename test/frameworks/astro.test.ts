import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { copyFixtureInstalled, repoRoot, run, type Fixture } from '../helpers/fixture.js'
import type { Manifest } from '../../src/core/manifest.js'
import { buildOnceAndCheck, FRAMEWORK_IMAGES } from '../helpers/framework-scenario.js'

let fixture: Fixture | undefined
afterEach(async () => {
  await fixture?.remove()
  fixture = undefined
})

const astroBuild = (fixture: Fixture, output: string) => (env: Record<string, string>) =>
  run(process.execPath, [path.join(repoRoot, 'node_modules/astro/bin/astro.mjs'), 'build'], {
    cwd: fixture.dir,
    env: { ASTRO_TELEMETRY_DISABLED: '1', FIXTURE_ASTRO_OUTPUT: output, ...env },
  })

// Astro 7 (and @astrojs/vercel 11) need Node >= 22.12: on an older Node (the engines floor) these tests are
// skipped, and say why, instead of failing on what Astro refuses.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
const astroRuns = major > 22 || (major === 22 && minor >= 12)

describe.skipIf(!astroRuns)(astroRuns ? 'Astro 7' : `Astro 7 (skipped: it needs Node >= 22.12, this is ${process.version})`, () => {
  // A page with no client script, Astro's default: Astro starts no client Vite build, so only an
  // integration sees the build. @astrojs/vercel serves public files at the root of the deployment.
  it.each(['static', 'server'])('Astro, %s output with @astrojs/vercel: the manifest deployed in .vercel/output/static, the plan exact', async (output) => {
    fixture = await copyFixtureInstalled('astro-app')
    const { output: log } = await buildOnceAndCheck(fixture, {
      build: astroBuild(fixture, output),
      served: '.vercel/output/static/_image-invalidate.json',
      basePath: '',
    })
    expect(log).toContain('2 source images to invalidate in 1 call')
    // The page is prerendered in static output: it ships without a script, so no client build ran.
    if (output === 'static') expect(await readFile(fixture.path('.vercel/output/static/index.html'), 'utf8')).not.toContain('<script')
  })

  it('Astro with base /docs and @astrojs/vercel: public files are deployed at the root, and so keyed', async () => {
    fixture = await copyFixtureInstalled('astro-app')
    const config = await readFile(fixture.path('astro.config.mjs'), 'utf8')
    await writeFile(fixture.path('astro.config.mjs'), config.replace('defineConfig({', "defineConfig({ base: '/docs',"))
    const result = await astroBuild(fixture, 'static')({ IMAGE_INVALIDATE: '1' })
    expect(result.code, result.output).toBe(0)
    expect(existsSync(fixture.path('.vercel/output/static/avatar.png'))).toBe(true)
    const served = await fixture.readJson<Manifest>('.vercel/output/static/_image-invalidate.json')
    expect(served.basePath).toBe('')
    expect(Object.keys(served.images)).toEqual(FRAMEWORK_IMAGES)
  })
})
