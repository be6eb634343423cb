// The one opened-node object: every node opened at once, each connection proven; a node that
// cannot be reached fails the whole open with its own one-line error, and the others are closed.
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { closeAll, openNodes, opened } from '../../scripts/lib/node.js'
import { config, runScript, until } from './helpers.js'

const node = suite('opened nodes')

node('every node opened with its name, spec and a working connection; closed together', async () => {
  const nodes = await openNodes([config.primary, ...config.replicas])
  try {
    assert.equal(
      nodes.map(n => n.name),
      [config.primary.name, ...config.replicas.map(r => r.name)],
    )
    for (const n of nodes) assert.is((await n.sql`select 1 as one`)[0].one, 1)
    assert.is(opened(config.replicas[0], nodes[1].sql, 'sub_x').subscription, 'sub_x')
    assert.not.ok('subscription' in opened(config.primary, nodes[0].sql))
  } finally {
    await closeAll(nodes)
  }
})

node('an unreachable node: one error naming it, nothing left open', async () => {
  const nowhere = { ...config.replicas[0], name: 'nowhere', port: 1, label: 'postgres@127.0.0.1:1/shop' }
  try {
    await openNodes([config.primary, nowhere], { connectTimeoutSeconds: 2 })
    assert.unreachable('port 1 accepted a connection')
  } catch (error) {
    assert.match((error as Error).message, /^cannot reach nowhere \(127\.0\.0\.1:1\/shop\): connection refused/)
    assert.not.match((error as Error).message, /\n/)
  }
})

node(
  'a kept connection whose node was down answers again once it is back: the driver reconnects (the exporter keeps its connections)',
  async () => {
    const replica2 = config.replicas[1]
    const [n] = await openNodes([replica2], { idleTimeoutSeconds: 0 })
    try {
      await runScript('cluster', ['stop', replica2.name])
      const down = await n.sql`select 1 as one`.then(
        () => 'answered',
        (error: Error & { code?: string }) => error.code ?? error.message,
      )
      assert.is.not(down, 'answered', 'a stopped node does not answer')
      await runScript('cluster', ['start', replica2.name])
      await until('the same connection object to answer again', 20_000, async () =>
        n.sql`select 1 as one`.then(
          rows => rows[0].one === 1,
          () => false,
        ),
      )
    } finally {
      await runScript('cluster', ['start', replica2.name])
      await closeAll([n])
    }
  },
)

node.run()
