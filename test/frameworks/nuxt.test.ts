import path from 'node:path'
import { afterEach, expect, it } from 'vitest'
import type { Manifest } from '../../src/core/manifest.js'
import { DEFAULT_PLAN_FILE } from '../../src/shared/environment.js'
import { copyFixtureInstalled, repoRoot, run, type Fixture } from '../helpers/fixture.js'
import { buildOnceAndCheck } from '../helpers/framework-scenario.js'

let fixture: Fixture | undefined
afterEach(async () => {
  await fixture?.remove()
  fixture = undefined
})

it(
  "Nuxt 4 with the Vercel preset and app.baseURL /docs/: the manifest in Nitro's public output, keyed under /docs, the plan file at the root",
  { tags: ['long-build'] },
  async () => {
    fixture = await copyFixtureInstalled('nuxt-app')
    const build = (env: Record<string, string>) =>
      run(process.execPath, [path.join(repoRoot, 'node_modules/nuxt/bin/nuxt.mjs'), 'build'], {
        cwd: fixture!.dir,
        env: { NITRO_PRESET: 'vercel', NUXT_TELEMETRY_DISABLED: '1', FIXTURE_BUILD_ID: `nuxt-${Object.keys(env).join('-')}`, ...env },
      })
    const { manifest } = await buildOnceAndCheck(fixture, { build, served: '.vercel/output/static/docs/_image-invalidate.json', basePath: '/docs' })
    // Options under the `imageInvalidate` key of nuxt.config are read.
    expect(manifest.buildId).toBe('nuxt-IMAGE_INVALIDATE_BASELINE')
    // Where `image-invalidate apply`, run from the project's root, finds it.
    expect(await fixture.readJson<Manifest>(DEFAULT_PLAN_FILE)).toEqual(manifest)
  },
)
