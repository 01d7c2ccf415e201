import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RouteFaults, parseRouteFaults, pathPattern } from '../../src/simulator/route-faults.js';

describe('route fault patterns', () => {
  it('`*` stays in one segment, `**` spans any number of segments', () => {
    const one = pathPattern('/panic-api/v2/callouts/*/location*');
    assert.ok(one.test('/panic-api/v2/callouts/12/location'));
    assert.ok(one.test('/panic-api/v2/callouts/12/locationAndReturnCallout'));
    assert.ok(!one.test('/panic-api/v2/callouts/12/x/location'));
    assert.ok(!one.test('/panic-api/v2/callouts/12/events'));
    const many = pathPattern('/panic-api/**/events');
    assert.ok(many.test('/panic-api/v2/callouts/1/events'));
    assert.ok(many.test('/panic-api/events'));
    assert.ok(!many.test('/panic-api/v2/callouts/1/events/x'));
    assert.ok(pathPattern('/panic-api/**').test('/panic-api/v2/a/b'));
    assert.ok(pathPattern('/a.b').test('/a.b') && !pathPattern('/a.b').test('/axb'));
  });

  it('counts hits, honours times and rate, and takes the first rule that applies', () => {
    const f = new RouteFaults();
    f.set(
      parseRouteFaults([
        { method: 'get', path: '/a', status: 404, times: 1 },
        { method: '*', path: '/a', status: 500, rate: 0.5 },
      ]),
    );
    const draws = [0.9, 0.1];
    const random = () => draws.shift() ?? 0;
    assert.equal(f.match('GET', '/a', random)?.status, 404);
    assert.equal(f.match('GET', '/a', random), null, 'times used up; the draw 0.9 misses the rate');
    assert.equal(f.match('POST', '/a', random)?.status, 500);
    assert.deepEqual(
      f.report().map((r) => r.hits),
      [1, 1],
    );
  });
});
