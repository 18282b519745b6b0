import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, expect, it } from 'vitest'
import type { Manifest } from '../../src/core/manifest.js'
import { copyFixture, copyFixtureWithPackages, repoRoot, vercelBuild, type Fixture } from '../helpers/fixture.js'

let fixture: Fixture | undefined
afterEach(async () => {
  await fixture?.remove()
  fixture = undefined
})

const bin = (relative: string) => `node ${JSON.stringify(path.join(repoRoot, 'node_modules', relative))}`

// The real Vercel builder, offline: what it leaves in .vercel/output is what a deployment serves.
it('Next.js with basePath /docs, through `vercel build`: the manifest at .vercel/output/static/docs', { tags: ['long-build'] }, async () => {
  fixture = await copyFixtureWithPackages('next-app', ['next', 'react', 'react-dom'])
  await writeFile(
    fixture.path('next.config.mjs'),
    "import { withImageInvalidate } from 'unplugin-image-invalidate/next'\nexport default withImageInvalidate({ basePath: '/docs' })\n",
  )
  // The fixture's own next: one copy of React.
  const result = await vercelBuild(fixture, { framework: 'nextjs', buildCommand: 'node node_modules/next/dist/bin/next build' }, { IMAGE_INVALIDATE: '1' })
  expect(result.code, result.output).toBe(0)
  const served = await fixture.readJson<Manifest>('.vercel/output/static/docs/_image-invalidate.json')
  expect(served.basePath).toBe('/docs')
  expect(Object.keys(served.images)).toEqual(['/images/hero.png', '/images/my photo.png', '/images/team/avatar.png', '/logo.svg'])
})

it('plain Vite, through `vercel build`: the manifest at .vercel/output/static', async () => {
  fixture = await copyFixture('vite-app')
  const result = await vercelBuild(
    fixture,
    { framework: 'vite', buildCommand: `${bin('vite/bin/vite.js')} build`, outputDirectory: 'dist' },
    { IMAGE_INVALIDATE: '1' },
  )
  expect(result.code, result.output).toBe(0)
  const served = await fixture.readJson<Manifest>('.vercel/output/static/_image-invalidate.json')
  expect(Object.keys(served.images)).toContain('/images/my photo.png')
  expect(Object.keys(served.images)).toHaveLength(7)
})
