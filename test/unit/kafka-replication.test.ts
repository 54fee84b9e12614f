import { loadConfig } from '../../src/config/config.js';
import { AppError } from '../../src/errors.js';
import { clusterReplication, minInsyncFor, nodeProperties } from '../../src/kafka/broker-config.js';
import { defaultReplicationFactor } from '../../src/kafka/topics.js';

function badConfig(value: string): string {
  try {
    loadConfig({ KAFKA_REPLICATION_FACTOR: value });
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).message;
  }
  throw new Error(`expected KAFKA_REPLICATION_FACTOR=${value} to be refused`);
}

describe('replication of the topics login-alerts creates', () => {
  it('reads KAFKA_REPLICATION_FACTOR as a whole number, unset or empty meaning "from the cluster"', () => {
    expect(loadConfig({}).kafka.replicationFactor).toBeUndefined();
    expect(loadConfig({ KAFKA_REPLICATION_FACTOR: '' }).kafka.replicationFactor).toBeUndefined();
    expect(loadConfig({ KAFKA_REPLICATION_FACTOR: ' 3 ' }).kafka.replicationFactor).toBe(3);
    for (const bad of ['0', '-1', '2.5', 'three', '40000']) {
      expect(badConfig(bad)).toMatch(/^KAFKA_REPLICATION_FACTOR: /m);
    }
  });

  it('defaults to the smaller of 3 and the number of brokers', () => {
    expect([0, 1, 2, 3, 4, 9].map(defaultReplicationFactor)).toEqual([1, 1, 2, 3, 3, 3]);
  });

  it('asks for RF − 1 in-sync replicas, at least 1 and at most 2', () => {
    expect([1, 2, 3, 4, 5].map(minInsyncFor)).toEqual([1, 1, 2, 2, 2]);
    expect(clusterReplication(3)).toEqual({ replicas: 3, minInsync: 2 });
    expect(clusterReplication(1)).toEqual({ replicas: 1, minInsync: 1 });
  });

  it('writes a combined quorum of static voters, internal topics replicated like the rest', () => {
    const nodes = [1, 2, 3].map((nodeId) => ({ nodeId, port: 9000 + nodeId, controllerPort: 9100 + nodeId }));
    const props = nodeProperties(nodes[1]!, nodes, '/tmp/x');
    expect(props).toContain('node.id=2\n');
    expect(props).toContain('process.roles=broker,controller\n');
    expect(props).toContain('controller.quorum.voters=1@127.0.0.1:9101,2@127.0.0.1:9102,3@127.0.0.1:9103\n');
    expect(props).toContain('listeners=PLAINTEXT://127.0.0.1:9002,CONTROLLER://127.0.0.1:9102\n');
    expect(props).toContain('offsets.topic.replication.factor=3\n');
    expect(props).toContain('transaction.state.log.min.isr=2\n');
    expect(props).toContain('min.insync.replicas=2\n');
    // A single node keeps what one broker can satisfy.
    const single = nodeProperties(nodes[0]!, [nodes[0]!], '/tmp/x');
    expect(single).toContain('offsets.topic.replication.factor=1\n');
    expect(single).not.toContain('num.io.threads');
    // The cleaner's dedupe buffer comes from the heap at start: 128 MB by default, half of a 256 MB node.
    const dedupe = /^log\.cleaner\.dedupe\.buffer\.size=(\d+)$/m.exec(single);
    expect(Number(dedupe?.[1])).toBeLessThanOrEqual(32 * 1024 * 1024);
  });
});
