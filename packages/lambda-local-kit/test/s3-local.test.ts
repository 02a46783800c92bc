import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, test } from 'vitest';
import { localStackEnv } from '../src/index.ts';
import { useLocalStack } from './helpers/local-stack.ts';

const { endpoints, clients } = useLocalStack();
const bucket = `kit-test-${randomBytes(4).toString('hex')}`;
await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));

describe('S3 on the fauxqs endpoint', () => {
  test('is served on the SQS endpoint, which child processes find in AWS_ENDPOINT_URL_S3', () => {
    expect(endpoints.s3).toBe(endpoints.sqs);
    expect(localStackEnv(endpoints).AWS_ENDPOINT_URL_S3).toBe(endpoints.sqs);
  });

  test('a ranged GET conditional on the ETag returns the bytes from the offset', async () => {
    const put = await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'a/b.csv', Body: 'name\nJürgen\n' }));
    const got = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'a/b.csv', Range: 'bytes=5-', IfMatch: put.ETag }));
    expect(got.$metadata.httpStatusCode).toBe(206);
    expect(await got.Body?.transformToString()).toBe('Jürgen\n');
  });

  test('a GET conditional on a stale ETag fails with 412', async () => {
    const first = await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'c.csv', Body: 'one' }));
    await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'c.csv', Body: 'two' }));
    const stale = clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'c.csv', Range: 'bytes=1-', IfMatch: first.ETag }));
    await expect(stale).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
  });
});
