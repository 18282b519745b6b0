import path from 'node:path'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { afterEach, expect, it } from 'vitest'
import type { Manifest } from '../../src/core/manifest.js'
import { copyFixtureInstalled, repoRoot, vercelBuild, type Fixture } from '../helpers/fixture.js'
import { buildOnceAndCheck, FRAMEWORK_IMAGES } from '../helpers/framework-scenario.js'

let fixture: Fixture | undefined
afterEach(async () => {
  await fixture?.remove()
  fixture = undefined
})

const buildCommand = `node ${JSON.stringify(path.join(repoRoot, 'node_modules/@react-router/dev/bin.js'))} build`

it('React Router framework mode with @vercel/react-router, through `vercel build`: the manifest at .vercel/output/static', async () => {
  fixture = await copyFixtureInstalled('react-router-app')
  await buildOnceAndCheck(fixture, {
    build: (env) => vercelBuild(fixture!, { framework: 'react-router', buildCommand }, env),
    served: '.vercel/output/static/_image-invalidate.json',
    basePath: '',
  })
})

it('React Router with a Vite base /app/, through `vercel build`: the client folder is deployed at the root, and so keyed', async () => {
  fixture = await copyFixtureInstalled('react-router-app')
  const config = await readFile(fixture.path('vite.config.js'), 'utf8')
  await writeFile(fixture.path('vite.config.js'), config.replace('defineConfig({', "defineConfig({ base: '/app/',"))
  const result = await vercelBuild(fixture, { framework: 'react-router', buildCommand }, { IMAGE_INVALIDATE: '1' })
  expect(result.code, result.output).toBe(0)
  expect(existsSync(fixture.path('.vercel/output/static/avatar.png'))).toBe(true)
  const served = await fixture.readJson<Manifest>('.vercel/output/static/_image-invalidate.json')
  expect(served.basePath).toBe('')
  expect(Object.keys(served.images)).toEqual(FRAMEWORK_IMAGES)
})
