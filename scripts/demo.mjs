// npm run demo: the planning phase on fixtures/vite-app, in a temporary copy, with no network.
import { appendFile, cp, mkdir, mkdtemp, rename, rm, symlink } from 'node:fs/promises'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { readFileSync } from 'node:fs'

const repo = fileURLToPath(new URL('..', import.meta.url))
const dir = await mkdtemp(path.join(tmpdir(), 'image-invalidate-demo-'))
try {
  await cp(path.join(repo, 'fixtures/vite-app'), dir, { recursive: true })
  await mkdir(path.join(dir, 'node_modules'))
  await symlink(repo, path.join(dir, 'node_modules/unplugin-image-invalidate'), 'dir')
  await symlink(path.join(repo, 'node_modules/vite'), path.join(dir, 'node_modules/vite'), 'dir')
  const env = { ...process.env, IMAGE_INVALIDATE: '1' }
  const build = (/** @type {Record<string, string>} */ extra) => {
    const out = execFileSync(process.execPath, [path.join(repo, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'info'], { cwd: dir, env: { ...env, ...extra }, encoding: 'utf8' })
    console.log(out.split('\n').filter((line) => line.includes('[image-invalidate]')).join('\n'))
  }

  console.log('1. First build: no live deployment yet.')
  build({ IMAGE_INVALIDATE_BASELINE: 'live/_image-invalidate.json' })
  await rename(path.join(dir, 'dist'), path.join(dir, 'live'))

  console.log('\n2. Change hero.png, delete avatar.png, rename "my photo.png", add new.png; build again.')
  await appendFile(path.join(dir, 'public/images/hero.png'), Buffer.from([0]))
  await rm(path.join(dir, 'public/avatar.png'))
  await rename(path.join(dir, 'public/images/my photo.png'), path.join(dir, 'public/images/my picture.png'))
  await appendFile(path.join(dir, 'public/images/new.png'), 'new')
  build({ IMAGE_INVALIDATE_BASELINE: 'live/_image-invalidate.json' })

  const manifest = JSON.parse(readFileSync(path.join(dir, 'dist/_image-invalidate.json'), 'utf8'))
  console.log('\nPlanned source images:')
  for (const src of manifest.plan.srcImages) console.log(`  ${src}`)
} finally {
  await rm(dir, { recursive: true, force: true })
}
