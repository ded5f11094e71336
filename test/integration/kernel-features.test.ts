/**
 * Feature detection and unsupported link kinds. What this kernel lacks is
 * established independently (iproute2 in a scratch namespace, /proc), and
 * the code under test must agree — nothing here is hard-coded per machine.
 */
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KernelFeatures } from '../../src/kernel/kernel.js';
import { createLinuxKernel, type LinuxKernel } from '../../src/kernel/linux/index.js';
import type { LinkSpec } from '../../src/kernel/ops.js';
import { ipJson, NetnsPool, requireRoot, succeedsIn } from '../helpers/netns.js';

const pool = new NetnsPool();
let kernel: LinuxKernel;
/** What iproute2 manages to do in a scratch namespace. */
let truth: KernelFeatures;

const ESP_GCM = [
  'xfrm', 'state', 'add', 'src', '192.0.2.1', 'dst', '192.0.2.2', 'proto', 'esp', 'spi', '0x200', 'mode', 'transport',
  'aead', 'rfc4106(gcm(aes))', `0x${'22'.repeat(20)}`, '128',
];

function probeWithIproute(): KernelFeatures {
  const ns = pool.create('p');
  const ip = (...args: string[]) => succeedsIn(ns, 'ip', args);
  ip('link', 'add', 'par0', 'type', 'veth', 'peer', 'name', 'par1');
  return {
    veth: ip('link', 'add', 't0', 'type', 'veth', 'peer', 'name', 't1'),
    bridge: ip('link', 'add', 'br0', 'type', 'bridge'),
    vxlan: ip('link', 'add', 'vx0', 'type', 'vxlan', 'id', '7', 'dstport', '4789'),
    macvlan: ip('link', 'add', 'mv0', 'link', 'par0', 'type', 'macvlan', 'mode', 'bridge'),
    dummy: ip('link', 'add', 'du0', 'type', 'dummy'),
    vlan: ip('link', 'add', 'vl0', 'link', 'par0', 'type', 'vlan', 'id', '7'),
    ipvlan: ip('link', 'add', 'iv0', 'link', 'par0', 'type', 'ipvlan'),
    wireguard: ip('link', 'add', 'wg0', 'type', 'wireguard'),
    esp: ip(...ESP_GCM),
    xfrm: ip('xfrm', 'state', 'list'),
    nftables: succeedsIn(ns, 'nft', ['add', 'table', 'inet', 'probe']),
    // ip_vs registers /proc/net/ip_vs in every namespace once loaded
    ipvs: existsSync('/proc/net/ip_vs') || succeedsIn(ns, 'test', ['-e', '/proc/net/ip_vs']),
  };
}

beforeAll(() => {
  requireRoot();
  kernel = createLinuxKernel();
  truth = probeWithIproute();
  pool.cleanup();
});
afterEach(() => pool.cleanup());
afterAll(async () => {
  await kernel?.close();
  pool.cleanup();
});

describe('features()', () => {
  it('agrees with what iproute2 can do in a scratch namespace, for every feature', async () => {
    // the independent probe works at all (else agreeing with it would prove nothing)
    expect(truth.veth && truth.bridge).toBe(true);
    const before = new Set((await kernel.netnsList()).filter((n) => n.startsWith('weft-probe')));
    expect(await kernel.features()).toEqual(truth);
    // the scratch namespace is gone again
    expect((await kernel.netnsList()).filter((n) => n.startsWith('weft-probe') && !before.has(n))).toEqual([]);
  });

  it('is probed once and cached', async () => {
    const first = kernel.features();
    expect(kernel.features()).toBe(first);
    await first;
  });
});

const UNSUPPORTED_CANDIDATES: Array<{ feature: 'dummy' | 'vlan'; spec: LinkSpec; module: string }> = [
  { feature: 'dummy', spec: { name: 'du0', kind: 'dummy' }, module: 'dummy' },
  { feature: 'vlan', spec: { name: 'vl0', kind: 'vlan', vlan: { parent: 'par0', id: 7 } }, module: '8021q' },
];

describe('link kinds the kernel may lack', () => {
  for (const { feature, spec, module } of UNSUPPORTED_CANDIDATES) {
    it(`link.add of kind ${feature} fails with WEFT_KERNEL_UNSUPPORTED exactly when iproute2 cannot create one`, async () => {
      const ns = pool.create('h');
      await kernel.apply([{ op: 'link.add', link: { name: 'par0', kind: 'veth', veth: { name: 'par1' } } }], { netns: ns });
      const result = kernel.apply([{ op: 'link.add', link: spec }], { netns: ns });
      if (truth[feature]) {
        await result;
        expect(ipJson(ns, '-d', 'link', 'show', spec.name)[0].linkinfo.info_kind).toBe(spec.kind);
        return;
      }
      const failure = await result.catch((e: unknown) => e);
      expect(failure).toMatchObject({ code: 'WEFT_KERNEL_UNSUPPORTED', details: { op: 'link.add', kind: feature, errno: 'EOPNOTSUPP' } });
      expect((failure as Error).message).toBe(`this kernel has no '${feature}' link support (module ${module} not available)`);
      expect(ipJson(ns, 'link', 'show').map((l: { ifname: string }) => l.ifname).sort()).toEqual(['lo', 'par0', 'par1']);
    });
  }

  it('require() refuses exactly the features the kernel lacks, with a clear message', async () => {
    for (const [feature, present] of Object.entries(truth) as Array<[keyof KernelFeatures, boolean]>) {
      const result = kernel.require(feature, 'the test driver');
      if (present) {
        await expect(result).resolves.toBeUndefined();
      } else {
        await expect(result).rejects.toMatchObject({
          code: 'WEFT_KERNEL_UNSUPPORTED',
          message: expect.stringMatching(new RegExp(`^the test driver needs ${feature}, which this kernel lacks`)),
        });
      }
    }
  });
});
