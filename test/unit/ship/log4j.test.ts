import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRecord, zoneClock } from '../../../src/ship/log4j.ts';

const utc = zoneClock('UTC');

describe('parseRecord', () => {
  const cases: { name: string; lines: string[]; want: Record<string, unknown> }[] = [
    {
      name: 'log4j2 layout (Flink >= 1.11), MDC brackets',
      lines: ['2025-11-28 23:01:48,779 INFO  org.apache.flink.runtime.entrypoint.ClusterEntrypoint        [] - Preconfiguration: '],
      want: { timeMs: Date.UTC(2025, 10, 28, 23, 1, 48, 779), level: 'INFO', logger: 'org.apache.flink.runtime.entrypoint.ClusterEntrypoint', message: 'Preconfiguration: ' },
    },
    {
      name: 'log4j1 layout (Flink 1.9)',
      lines: ['2019-12-14 20:50:10,337 INFO  org.apache.flink.runtime.taskexecutor.TaskManagerRunner       - Registered UNIX signal handlers for [TERM, INT]'],
      want: { timeMs: Date.UTC(2019, 11, 14, 20, 50, 10, 337), level: 'INFO', logger: 'org.apache.flink.runtime.taskexecutor.TaskManagerRunner', message: 'Registered UNIX signal handlers for [TERM, INT]' },
    },
    {
      name: 'MDC with a job id',
      lines: ['2024-05-01 12:00:00,123 WARN  org.apache.flink.runtime.checkpoint.CheckpointCoordinator [flink-job-id=abc] - Checkpoint 7 expired'],
      want: { timeMs: Date.UTC(2024, 4, 1, 12, 0, 0, 123), level: 'WARN', logger: 'org.apache.flink.runtime.checkpoint.CheckpointCoordinator', message: 'Checkpoint 7 expired' },
    },
    {
      name: 'stack trace goes to stackTrace, exception line included',
      lines: [
        '2025-11-28 23:02:10,101 WARN  org.apache.flink.runtime.taskmanager.Task                    [] - Sink: Unnamed (1/1) switched from INITIALIZING to FAILED',
        'java.io.IOException: unable to open JDBC writer',
        '\tat org.apache.flink.connector.jdbc.internal.JdbcOutputFormat.open(JdbcOutputFormat.java:142) ~[?:?]',
        'Caused by: java.net.UnknownHostException: postgres-service',
        '\t... 16 more',
      ],
      want: {
        timeMs: Date.UTC(2025, 10, 28, 23, 2, 10, 101), level: 'WARN', logger: 'org.apache.flink.runtime.taskmanager.Task',
        message: 'Sink: Unnamed (1/1) switched from INITIALIZING to FAILED',
        stackTrace: 'java.io.IOException: unable to open JDBC writer\n\tat org.apache.flink.connector.jdbc.internal.JdbcOutputFormat.open(JdbcOutputFormat.java:142) ~[?:?]\nCaused by: java.net.UnknownHostException: postgres-service\n\t... 16 more',
      },
    },
    {
      name: 'tab-indented config dump stays in the message',
      lines: ['2019-12-14 20:50:10,341 INFO  org.apache.flink.runtime.taskexecutor.TaskManagerRunner       -  JVM Options:', '    -Xms1024m', '    -Xmx1024m'],
      want: { timeMs: Date.UTC(2019, 11, 14, 20, 50, 10, 341), level: 'INFO', logger: 'org.apache.flink.runtime.taskexecutor.TaskManagerRunner', message: ' JVM Options:\n    -Xms1024m\n    -Xmx1024m' },
    },
    {
      name: 'custom layout: timestamp only, rest as message',
      lines: ['2023-01-13 16:34:03 876 [main] [org.apache.flink.runtime.metrics.ReporterSetup] [ERROR] - Could not instantiate metrics reporter promgateway.'],
      want: { timeMs: Date.UTC(2023, 0, 13, 16, 34, 3, 876), message: '2023-01-13 16:34:03 876 [main] [org.apache.flink.runtime.metrics.ReporterSetup] [ERROR] - Could not instantiate metrics reporter promgateway.' },
    },
    {
      name: 'preamble without timestamp ships as a plain message',
      lines: ['/opt/flink/bin/config-parser-utils.sh: line 45: /opt/flink/conf/flink-conf.yaml: Read-only file system', 'Starting kubernetes-application as a console application on host poly-example-68c8444749-z89jc.'],
      want: { message: '/opt/flink/bin/config-parser-utils.sh: line 45: /opt/flink/conf/flink-conf.yaml: Read-only file system\nStarting kubernetes-application as a console application on host poly-example-68c8444749-z89jc.' },
    },
    { name: 'empty line', lines: [''], want: { message: '' } },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual({ ...parseRecord(c.lines, utc) }, c.want));
  }

  it('converts wall-clock time in a configured zone, DST included', () => {
    const berlin = zoneClock('Europe/Berlin');
    assert.equal(berlin('2024-01-15', '12:00:00', '000'), Date.UTC(2024, 0, 15, 11, 0, 0));
    assert.equal(berlin('2024-07-15', '12:00:00', '500'), Date.UTC(2024, 6, 15, 10, 0, 0, 500));
    assert.equal(zoneClock('America/New_York')('2024-03-10', '12:00:00', undefined), Date.UTC(2024, 2, 10, 16, 0, 0));
  });
  it('rejects an unknown zone', () => assert.throws(() => zoneClock('Mars/Olympus')));
});
