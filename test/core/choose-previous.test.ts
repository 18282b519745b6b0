// @module-tag floor
import { describe, expect, it } from 'vitest'
import {
  choosePrevious,
  type LastAliasRequest,
  type Outcome,
  type PreviousClues,
  type PreviousDecision,
  type PreviousLookups,
} from '../../src/core/choose-previous.js'
import { createManifest, type Manifest } from '../../src/core/manifest.js'
import type { PreviousVia } from '../../src/types.js'

const manifestOf = (buildId: string): Manifest => createManifest({ buildId, basePath: '', images: {}, plan: { baseline: null, srcImages: [] } })

/**
 * What the network would give: a manifest for each name that has one (a deployment id or what --from
 * says), the reason for each that cannot be read, and the project's last promotion.
 */
interface World {
  readable?: string[]
  unreadable?: Record<string, string>
  lastAliasRequest?: Outcome<LastAliasRequest | undefined>
}

/** Runs `choosePrevious` as the apply phase does, fetching from `world` what it asks for, and records what it asked. */
function decide(clues: Partial<PreviousClues>, world: World): { decision: PreviousDecision; asked: string[] } {
  const full: PreviousClues = {
    deploymentId: 'dpl_D',
    buildId: 'dpl_D',
    given: undefined,
    seen: { rolloutSeen: false },
    siteKnown: false,
    apiKnown: true,
    ...clues,
  }
  const lookups: PreviousLookups = { manifests: {} }
  const asked: string[] = []
  for (let steps = 0; steps < 10; steps++) {
    const step = choosePrevious(full, lookups)
    if ('decided' in step) return { decision: step.decided, asked }
    if (step.need === 'last-alias-request') {
      asked.push('project')
      lookups.lastAliasRequest = world.lastAliasRequest ?? { value: undefined }
    } else {
      asked.push(`${step.source}:${step.name}`)
      lookups.manifests[step.source] = fetchManifest(world, step.name)
    }
  }
  throw new Error('choosePrevious asked for more than ten fetches')
}

function fetchManifest(world: World, name: string): Outcome<Manifest> {
  const failed = world.unreadable?.[name]
  if (failed) return { failed }
  return world.readable?.includes(name) ? { value: manifestOf(name) } : { failed: 'not found' }
}

const promoted = (from: string | undefined, to = 'dpl_D', jobStatus = 'succeeded'): World['lastAliasRequest'] => ({
  value: { fromDeploymentId: from, toDeploymentId: to, jobStatus },
})
const site = (buildId: string) => ({ siteBefore: manifestOf(buildId), rolloutSeen: false })

interface Row {
  clues: Partial<PreviousClues>
  world: World
  via: PreviousVia
  /** P's build, or for the build-time plan, the words that say why. */
  p?: string
  why?: RegExp
  asked: string[]
  notes?: RegExp[]
}

// Every row of the precedence, and the conflicts: each says which clue wins and what was fetched for it.
const rows: Record<string, Row> = {
  'nothing known, no API: the build-time plan': {
    clues: { apiKnown: false },
    world: {},
    via: 'build-plan',
    why: /^no --from; no site was watched: --site or IMAGE_INVALIDATE_SITE_URL; no Vercel token and project to read the project's last promotion$/,
    asked: [],
  },
  '--from readable: P, nothing else fetched': {
    clues: { given: { name: 'prev.json', via: 'from' }, seen: { ...site('dpl_S'), productionBefore: 'dpl_C' } },
    world: { readable: ['prev.json'] },
    via: 'from',
    p: 'prev.json',
    asked: ['given:prev.json'],
  },
  '--from given and unreadable: the build-time plan, not the site the caller overrode': {
    clues: { given: { name: 'dpl_gone', via: 'from' }, seen: site('dpl_S') },
    world: { unreadable: { dpl_gone: 'HTTP 404' } },
    via: 'build-plan',
    why: /^--from dpl_gone: HTTP 404$/,
    asked: ['given:dpl_gone'],
  },
  "a rollback event's fromDeploymentId": {
    clues: { given: { name: 'dpl_B', via: 'rollback-event' } },
    world: { readable: ['dpl_B'] },
    via: 'rollback-event',
    p: 'dpl_B',
    asked: ['given:dpl_B'],
  },
  "a rolling release event's base, unreadable: said with the event's words": {
    clues: { given: { name: 'dpl_A', via: 'rolling-release-event' } },
    world: { unreadable: { dpl_A: 'no URL' } },
    via: 'build-plan',
    why: /^the rolling release's base dpl_A: no URL$/,
    asked: ['given:dpl_A'],
  },
  'the site before the flip, nothing fetched': {
    clues: { seen: site('dpl_S') },
    world: {},
    via: 'site-before',
    p: 'dpl_S',
    asked: [],
  },
  'site and API disagree: the site wins (it is what visitors got), the API is not asked': {
    clues: { seen: { ...site('dpl_S'), productionBefore: 'dpl_C' } },
    world: { readable: ['dpl_C'] },
    via: 'site-before',
    p: 'dpl_S',
    asked: [],
  },
  'production before the flip, through the API': {
    clues: { seen: { productionBefore: 'dpl_C', rolloutSeen: false } },
    world: { readable: ['dpl_C'] },
    via: 'production-before',
    p: 'dpl_C',
    asked: ['production-before:dpl_C'],
  },
  'production before the flip unreadable: the build-time plan, lastAliasRequest not read': {
    clues: { seen: { productionBefore: 'dpl_C', rolloutSeen: false } },
    world: { unreadable: { dpl_C: 'HTTP 401' }, lastAliasRequest: promoted('dpl_A') },
    via: 'build-plan',
    why: /^production served dpl_C before the flip, and its manifest could not be read: HTTP 401$/,
    asked: ['production-before:dpl_C'],
  },
  'lastAliasRequest toward D, succeeded': {
    clues: {},
    world: { readable: ['dpl_A'], lastAliasRequest: promoted('dpl_A') },
    via: 'last-alias-request',
    p: 'dpl_A',
    asked: ['project', 'last-alias-request:dpl_A'],
  },
  'lastAliasRequest toward D, in progress': {
    clues: {},
    world: { readable: ['dpl_A'], lastAliasRequest: promoted('dpl_A', 'dpl_D', 'in-progress') },
    via: 'last-alias-request',
    p: 'dpl_A',
    asked: ['project', 'last-alias-request:dpl_A'],
  },
  'lastAliasRequest not leading to D': {
    clues: {},
    world: { readable: ['dpl_A'], lastAliasRequest: promoted('dpl_A', 'dpl_other') },
    via: 'build-plan',
    why: /last promotion or rollback did not lead to dpl_D$/,
    asked: ['project'],
  },
  'lastAliasRequest toward D that failed': {
    clues: {},
    world: { readable: ['dpl_A'], lastAliasRequest: promoted('dpl_A', 'dpl_D', 'failed') },
    via: 'build-plan',
    why: /toward dpl_D has jobStatus failed, not succeeded or in-progress$/,
    asked: ['project'],
  },
  'lastAliasRequest toward D naming no deployment it came from': {
    clues: {},
    world: { lastAliasRequest: promoted(undefined) },
    via: 'build-plan',
    why: /toward dpl_D names no deployment it came from$/,
    asked: ['project'],
  },
  'no lastAliasRequest at all': {
    clues: {},
    world: { lastAliasRequest: { value: undefined } },
    via: 'build-plan',
    why: /did not lead to dpl_D$/,
    asked: ['project'],
  },
  'the project cannot be read': {
    clues: {},
    world: { lastAliasRequest: { failed: 'Vercel answered HTTP 500.' } },
    via: 'build-plan',
    why: /^no --from; no site was watched: --site or IMAGE_INVALIDATE_SITE_URL; Vercel answered HTTP 500\.$/,
    asked: ['project'],
  },
  "lastAliasRequest's deployment has no manifest": {
    clues: {},
    world: { unreadable: { dpl_A: 'has no manifest' }, lastAliasRequest: promoted('dpl_A') },
    via: 'build-plan',
    why: /; the project's last promotion came from dpl_A, whose manifest could not be read: has no manifest$/,
    asked: ['project', 'last-alias-request:dpl_A'],
  },
  "D's deployment id unknown: the project is not asked": {
    clues: { deploymentId: undefined, buildId: 'build_local' },
    world: { lastAliasRequest: promoted('dpl_A') },
    via: 'build-plan',
    why: /; build_local is no deployment id, so the project's last promotion cannot be matched with it$/,
    asked: [],
  },
  'a site was watched and showed only D: said so, not "no site"': {
    clues: { siteKnown: true },
    world: { lastAliasRequest: promoted('dpl_A', 'dpl_other') },
    via: 'build-plan',
    why: /^no --from; the site was not seen serving another deployment; the project's last promotion or rollback did not lead to dpl_D$/,
    asked: ['project'],
  },
  'an aborted rollout: the deployment production went back to, over --from and the site': {
    clues: { given: { name: 'prev.json', via: 'from' }, seen: { ...site('dpl_S'), rolloutSeen: true, rolloutEndedOn: 'dpl_A' } },
    world: { readable: ['dpl_A', 'prev.json'] },
    via: 'rollout-base',
    p: 'dpl_A',
    asked: ['rollout-base:dpl_A'],
    notes: [/^the rolling release toward dpl_D ended without it: production serves dpl_A; dpl_D served some visitors meanwhile/],
  },
  "an aborted rollout whose base can't be read: said, then P as after any flip": {
    clues: { seen: { ...site('dpl_S'), rolloutSeen: true, rolloutEndedOn: 'dpl_A' } },
    world: { unreadable: { dpl_A: 'HTTP 404' } },
    via: 'site-before',
    p: 'dpl_S',
    asked: ['rollout-base:dpl_A'],
    notes: [/^the rolling release toward dpl_D ended without it/, /^the manifest of dpl_A could not be read: HTTP 404$/],
  },
}

describe('choosePrevious: which clue is P', () => {
  it.each(Object.entries(rows))('%s', (_title, row) => {
    const { decision, asked } = decide(row.clues, row.world)
    expect(decision.via).toBe(row.via)
    expect(asked).toEqual(row.asked)
    if (decision.via === 'build-plan') {
      if (row.why) expect(decision.why).toMatch(row.why)
    } else expect(decision.manifest.buildId).toBe(row.p)
    expect(decision.notes).toHaveLength(row.notes?.length ?? 0)
    row.notes?.forEach((note, index) => expect(decision.notes[index]).toMatch(note))
  })
})
