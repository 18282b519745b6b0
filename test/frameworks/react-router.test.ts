import path from 'node:path'
import { afterEach, it } from 'vitest'
import { copyFixtureInstalled, repoRoot, vercelBuild, type Fixture } from '../helpers/fixture.js'
import { buildTwiceAndCheck } from '../helpers/framework-scenario.js'

let fixture: Fixture | undefined
afterEach(async () => {
  await fixture?.remove()
  fixture = undefined
})

it('React Router framework mode with @vercel/react-router, through `vercel build`: the manifest at .vercel/output/static', async () => {
  fixture = await copyFixtureInstalled('react-router-app')
  const buildCommand = `node ${JSON.stringify(path.join(repoRoot, 'node_modules/@react-router/dev/bin.js'))} build`
  await buildTwiceAndCheck(fixture, {
    build: (env) => vercelBuild(fixture!, { framework: 'react-router', buildCommand }, env),
    served: '.vercel/output/static/_image-invalidate.json',
    basePath: '',
  })
})
