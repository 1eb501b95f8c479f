import { describe, expect, it } from 'vitest';
import { nodeIdOf, routingKeyOf } from './routing-key';

// Expected values follow uD3TN v0.13 eid.c get_node_id.
describe('nodeIdOf', () => {
  it('dtn: the authority with one trailing slash', () => {
    expect(nodeIdOf('dtn://mars.dtn/smtp')).toBe('dtn://mars.dtn/');
    expect(nodeIdOf('dtn://mars.dtn/a/b')).toBe('dtn://mars.dtn/');
    expect(nodeIdOf('dtn://mars.dtn/')).toBe('dtn://mars.dtn/');
    expect(nodeIdOf('dtn://mars.dtn')).toBe('dtn://mars.dtn/');
  });

  it('dtn: none for non-singleton EIDs, dtn:none and an empty authority', () => {
    expect(nodeIdOf('dtn://mars.dtn/~mail')).toBeUndefined();
    expect(nodeIdOf('dtn:none')).toBeUndefined();
    expect(nodeIdOf('dtn:///x')).toBeUndefined();
    expect(nodeIdOf('dtn://')).toBeUndefined();
  });

  it('ipn: service 0, with RFC 9758 allocators kept', () => {
    expect(nodeIdOf('ipn:2.25')).toBe('ipn:2.0');
    expect(nodeIdOf('ipn:2.0')).toBe('ipn:2.0');
    expect(nodeIdOf('ipn:977.2.25')).toBe('ipn:977.2.0');
    expect(nodeIdOf('ipn:2')).toBeUndefined();
    expect(nodeIdOf('ipn:a.b')).toBeUndefined();
  });

  it('routingKeyOf falls back to the EID itself', () => {
    expect(routingKeyOf('dtn://g/~all')).toBe('dtn://g/~all');
    expect(routingKeyOf('mailto:x@y')).toBe('mailto:x@y');
    expect(routingKeyOf('ipn:5.3')).toBe('ipn:5.0');
  });
});
