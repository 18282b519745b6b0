// @module-tag floor
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { HELP } from '../src/cli-help.js'
import { repoRoot, run } from './helpers/fixture.js'

// The README's synopsis of a command, its `--help` usage lines and its `--help` option list name the same
// flags, and the command takes each of them: a flag added to one place and not the others fails here.
const COMMANDS = ['plan', 'apply', 'prune-next-cache'] as const

const flagsIn = (text: string) => new Set([...text.matchAll(/--[a-z][a-z-]*/g)].map((match) => match[0]).filter((flag) => flag !== '--help'))

/**
 * The README's synopses of `command`: `image-invalidate <command> [...]`, in a code block (continued on the
 * indented lines after it) or in inline code.
 */
function readmeSynopses(readme: string, command: string): string[] {
  const start = new RegExp(`^(?:npx )?image-invalidate ${command} \\[`)
  const synopses: string[] = []
  const lines = readme.split('\n')
  for (const [index, line] of lines.entries()) {
    if (!start.test(line)) continue
    let synopsis = line
    for (let next = index + 1; /^\s+\[/.test(lines[next] ?? ''); next++) synopsis += ` ${lines[next]!.trim()}`
    synopses.push(synopsis)
  }
  for (const [, code] of readme.matchAll(/`([^`\n]+)`/g)) if (start.test(code!)) synopses.push(code!)
  return synopses
}

/** The usage lines of a command's `--help` (up to the first blank line) and the flags of its option list, with whether each takes a value. */
function helpParts(help: string) {
  const usage = help.slice(0, help.indexOf('\n\n'))
  const options = [...help.matchAll(/^ {2}(?:-h, )?(--[a-z][a-z-]*)(?: ([A-Z][A-Z|]*))?/gm)].map((match) => ({
    flag: match[1]!,
    takesValue: Boolean(match[2]),
  }))
  return { usage, options: options.filter((option) => option.flag !== '--help') }
}

describe.each(COMMANDS)('image-invalidate %s', (command) => {
  it('the README synopsis, the --help usage and the --help option list name the same flags', async () => {
    const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8')
    const synopses = readmeSynopses(readme, command)
    expect(synopses, `one synopsis of ${command} in the README`).toHaveLength(1)
    const { usage, options } = helpParts(HELP[command])
    const listed = new Set(options.map((option) => option.flag))
    expect(listed.size).toBeGreaterThan(2)
    expect([...flagsIn(synopses[0]!)].sort()).toEqual([...listed].sort())
    expect([...flagsIn(usage)].sort()).toEqual([...listed].sort())
  })

  it('takes every flag its --help lists', async () => {
    const { options } = helpParts(HELP[command])
    const args = options.flatMap(({ flag, takesValue }) => (takesValue ? [flag, 'x'] : [flag]))
    // With --help among them, the command prints its help once every flag has parsed; an unknown one is a usage error.
    const result = await run(process.execPath, [path.join(repoRoot, 'dist/cli.js'), command, ...args, '--help'], { cwd: repoRoot })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
  })
})
