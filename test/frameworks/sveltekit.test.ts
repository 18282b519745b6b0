import { afterEach, expect, it } from 'vitest'
import { copyFixtureInstalled, viteBuild, type Fixture } from '../helpers/fixture.js'
import { buildTwiceAndCheck } from '../helpers/framework-scenario.js'

let fixture: Fixture | undefined
afterEach(async () => {
  await fixture?.remove()
  fixture = undefined
})

it('SvelteKit with paths.base /docs and adapter-vercel: keys and baseline under /docs, the manifest at .vercel/output/static/docs', async () => {
  fixture = await copyFixtureInstalled('sveltekit-app')
  const { outputs } = await buildTwiceAndCheck(fixture, {
    build: (env) => viteBuild(fixture!, env),
    served: '.vercel/output/static/docs/_image-invalidate.json',
    publicDir: 'static',
    basePath: '/docs',
  })
  // Vite's own base is './' here; SvelteKit's base is what counts, and nothing warns about it.
  for (const output of outputs) expect(output).not.toContain('is relative')
})
