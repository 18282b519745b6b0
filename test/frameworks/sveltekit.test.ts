import { afterEach, expect, it } from 'vitest'
import { copyFixtureInstalled, viteBuild, type Fixture } from '../helpers/fixture.js'
import { buildOnceAndCheck } from '../helpers/framework-scenario.js'

let fixture: Fixture | undefined
afterEach(async () => {
  await fixture?.remove()
  fixture = undefined
})

// adapter-vercel 6.3 picks the functions' runtime from the Node that builds, and knows Node 20, 22 and 24
// only: on Node 26 it stops the build ("Unsupported Node.js version ... or explicitly specify a runtime"),
// so there the fixture names one, as its users must.
const runtime = [20, 22, 24].includes(Number(process.versions.node.split('.')[0])) ? {} : { FIXTURE_VERCEL_RUNTIME: 'nodejs24.x' }

it('SvelteKit with paths.base /docs and adapter-vercel: keys and baseline under /docs, the manifest at .vercel/output/static/docs', async () => {
  fixture = await copyFixtureInstalled('sveltekit-app')
  const { output } = await buildOnceAndCheck(fixture, {
    build: (env) => viteBuild(fixture!, { ...runtime, ...env }),
    served: '.vercel/output/static/docs/_image-invalidate.json',
    publicDir: 'static',
    basePath: '/docs',
  })
  // Vite's own base is './' here; SvelteKit's base is what counts, and nothing warns about it.
  expect(output).not.toContain('is relative')
})
