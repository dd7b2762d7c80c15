import { keyValueJson } from '../../src/api/json';
import { keyJson, keyText, parseKeyJson } from '../../src/store/key-json';
import { narrowSafeIntegers } from '../../src/dialects/sqlite';

describe('keys as JSON text, exact beyond 2^53', () => {
  it('writes a BigInt as a plain JSON integer and reads it back exactly', () => {
    const keys = [[1_400_000_000_000_000_001n, 'a"b'], [9_007_199_254_740_993n, null], [-9_007_199_254_740_993n, 1.5], [12, true]];
    const text = keyJson(keys);
    expect(text).toBe('[[1400000000000000001,"a\\"b"],[9007199254740993,null],[-9007199254740993,1.5],[12,true]]');
    expect(parseKeyJson(text)).toEqual(keys);
  });

  it('reads what JSON.stringify wrote before, numbers within 2^53 as numbers', () => {
    const old = [[1, 'x'], [9_007_199_254_740_991, 'y'], { a: [1e21, -0.5, []] }];
    expect(parseKeyJson(JSON.stringify(old))).toEqual(old);
  });

  it('refuses text that is not JSON', () => {
    for (const bad of ['[1,', '[1 2]', '{"a" 1}', '', '[1]x', '[01]']) expect(() => parseKeyJson(bad)).toThrow('invalid key JSON at position');
  });

  it('failure record keys and JSON output keep every digit', () => {
    expect(keyText([1_400_000_000_000_000_001n])).toBe('1400000000000000001');
    expect(keyText([9_007_199_254_740_993n, 'eu'])).toBe('[9007199254740993,"eu"]');
    expect(keyValueJson([9_007_199_254_740_993n, 7n, 'eu'])).toEqual(['9007199254740993', 7, 'eu']);
  });

  it('SQLite results: BigInts a number holds exactly become numbers, larger ones stay BigInt', () => {
    const rows = [{ id: 9_007_199_254_740_993n, n: 3n, name: 'x', data: Buffer.from('ab') }, { id: -9_007_199_254_740_991n }];
    expect(narrowSafeIntegers(rows)).toEqual([{ id: 9_007_199_254_740_993n, n: 3, name: 'x', data: Buffer.from('ab') }, { id: -9_007_199_254_740_991 }]);
    expect(narrowSafeIntegers(5n)).toBe(5);
  });
});
