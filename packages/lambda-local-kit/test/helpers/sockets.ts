import { readFile } from 'node:fs/promises';

/** The port of an `http://host:port` endpoint. */
export const portOf = (endpoint: string) => Number(new URL(endpoint).port);

/** Local addresses of the TCP sockets listening on `port`, read from the kernel's tables. */
export async function listeningAddresses(port: number): Promise<string[]> {
  const addresses: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const rows = (await readFile(table, 'utf8').catch(() => '')).trim().split('\n').slice(1);
    for (const row of rows) {
      const [, local, , state] = row.trim().split(/\s+/);
      const [hexAddress, hexPort] = (local ?? '').split(':');
      if (state === '0A' /* LISTEN */ && hexPort && parseInt(hexPort, 16) === port) addresses.push(decodeAddress(hexAddress ?? ''));
    }
  }
  return addresses;
}

/** /proc/net/tcp* print addresses as little-endian 32-bit words. */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) => (word.match(/../g) ?? []).reverse().map((byte) => parseInt(byte, 16)));
  if (bytes.length === 4) return bytes.join('.');
  const isV4Mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isV4Mapped) return `::ffff:${bytes.slice(12).join('.')}`;
  return bytes.every((b) => b === 0) ? '::' : hex;
}
