;; The WebAssembly SIMD kernels behind search, in text form: the source of truth for what
;; src/logfile/simd.ts assembles by hand. test/unit/logfile/wasm-kernels.test.ts checks that wabt's
;; wat2wasm turns this text into exactly the bytes of kernelModule(1) (memory of one 64 KiB page;
;; simd.ts sizes it per scan buffer). Change both together.
;; Alignment hints are align=1 throughout (the kernels load at any byte offset).
(module
  (type (;0;) (func (param i32 i32) (result i32)))
  (type (;1;) (func (param i32 i32 i32)))
  (type (;2;) (func (param i32 i32 i32 i32 i32 i32) (result i32)))
  (type (;3;) (func (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  ;; count(p, end) → number of 0x0A bytes in [p, end).
  ;;   nl = splat(10)
  ;;   while p + 64 <= end:                       ;; outer: at most 63 inner rounds per flush
  ;;     acc = 0; k = 63
  ;;     while k != 0 && p + 64 <= end:
  ;;       acc -= eq(load p, nl) + eq(load p+16, nl) + eq(load p+32, nl) + eq(load p+48, nl)   (lane-wise, eq = -1)
  ;;       p += 64; k--
  ;;     c += sum of the 16 lanes of acc (pairwise widening adds, then 4 lane extracts)
  ;;   while p + 16 <= end: c += popcnt(bitmask(eq(load p, nl))); p += 16
  ;;   while p < end: c += load8(p) == 10; p++
  ;; params 0 p, 1 end; locals 2 c, 3 k (i32), 4 nl, 5 acc (v128)
  (func $count (type 0) (param i32 i32) (result i32)
    (local i32 i32 v128 v128)
    i32.const 10
    i8x16.splat
    local.set 4
    block  ;; label = @1
      loop  ;; label = @2
        local.get 0
        i32.const 64
        i32.add
        local.get 1
        i32.gt_u
        br_if 1 (;@1;)
        v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000
        local.set 5
        i32.const 63
        local.set 3
        block  ;; label = @3
          loop  ;; label = @4
            local.get 3
            i32.eqz
            br_if 1 (;@3;)
            local.get 0
            i32.const 64
            i32.add
            local.get 1
            i32.gt_u
            br_if 1 (;@3;)
            local.get 5
            local.get 0
            v128.load align=1
            local.get 4
            i8x16.eq
            i8x16.sub
            local.get 0
            v128.load offset=16 align=1
            local.get 4
            i8x16.eq
            i8x16.sub
            local.get 0
            v128.load offset=32 align=1
            local.get 4
            i8x16.eq
            i8x16.sub
            local.get 0
            v128.load offset=48 align=1
            local.get 4
            i8x16.eq
            i8x16.sub
            local.set 5
            local.get 0
            i32.const 64
            i32.add
            local.set 0
            local.get 3
            i32.const 1
            i32.sub
            local.set 3
            br 0 (;@4;)
          end
        end
        local.get 5
        i16x8.extadd_pairwise_i8x16_u
        i32x4.extadd_pairwise_i16x8_u
        local.set 5
        local.get 2
        local.get 5
        i32x4.extract_lane 0
        i32.add
        local.get 5
        i32x4.extract_lane 1
        i32.add
        local.get 5
        i32x4.extract_lane 2
        i32.add
        local.get 5
        i32x4.extract_lane 3
        i32.add
        local.set 2
        br 0 (;@2;)
      end
    end
    block  ;; label = @1
      loop  ;; label = @2
        local.get 0
        i32.const 16
        i32.add
        local.get 1
        i32.gt_u
        br_if 1 (;@1;)
        local.get 2
        local.get 0
        v128.load align=1
        local.get 4
        i8x16.eq
        i8x16.bitmask
        i32.popcnt
        i32.add
        local.set 2
        local.get 0
        i32.const 16
        i32.add
        local.set 0
        br 0 (;@2;)
      end
    end
    block  ;; label = @1
      loop  ;; label = @2
        local.get 0
        local.get 1
        i32.ge_u
        br_if 1 (;@1;)
        local.get 2
        local.get 0
        i32.load8_u
        i32.const 10
        i32.eq
        i32.add
        local.set 2
        local.get 0
        i32.const 1
        i32.add
        local.set 0
        br 0 (;@2;)
      end
    end
    local.get 2)
  ;; lower(src, dst, len): dst[i] = src[i] + 32 if 'A' <= src[i] <= 'Z' else src[i].
  ;;   while len >= 16: v = load src; store dst, v + ((v - 65 <u 26) & 32); src, dst += 16; len -= 16
  ;;   while len > 0: byte version of the same
  ;; params 0 src, 1 dst, 2 len; locals 3 v, 4 b (i32), 5 'A', 6 26, 7 32 (v128)
  (func $lower (type 1) (param i32 i32 i32)
    (local v128 i32 v128 v128 v128)
    i32.const 65
    i8x16.splat
    local.set 5
    i32.const 26
    i8x16.splat
    local.set 6
    i32.const 32
    i8x16.splat
    local.set 7
    block  ;; label = @1
      loop  ;; label = @2
        local.get 2
        i32.const 16
        i32.lt_u
        br_if 1 (;@1;)
        local.get 1
        local.get 0
        v128.load align=1
        local.tee 3
        local.get 3
        local.get 5
        i8x16.sub
        local.get 6
        i8x16.lt_u
        local.get 7
        v128.and
        i8x16.add
        v128.store align=1
        local.get 0
        i32.const 16
        i32.add
        local.set 0
        local.get 1
        i32.const 16
        i32.add
        local.set 1
        local.get 2
        i32.const 16
        i32.sub
        local.set 2
        br 0 (;@2;)
      end
    end
    block  ;; label = @1
      loop  ;; label = @2
        local.get 2
        i32.eqz
        br_if 1 (;@1;)
        local.get 1
        local.get 0
        i32.load8_u
        local.set 4
        local.get 4
        i32.const 32
        i32.add
        local.get 4
        local.get 4
        i32.const 65
        i32.sub
        i32.const 26
        i32.lt_u
        select
        i32.store8
        local.get 0
        i32.const 1
        i32.add
        local.set 0
        local.get 1
        i32.const 1
        i32.add
        local.set 1
        local.get 2
        i32.const 1
        i32.sub
        local.set 2
        br 0 (;@2;)
      end
    end)
  ;; find(start, end, np, nlen, o1, o2) → first i in [start, end - nlen] with
  ;; mem[i..i+nlen) == mem[np..np+nlen), else -1. Needs nlen ≥ 1 and 0 ≤ o1, o2 < nlen. Filters 16
  ;; positions at once on two needle bytes (at offsets o1, o2 — the caller picks rare ones), then
  ;; compares each candidate in full (W. Muła, "SIMD-friendly algorithms for substring searching"):
  ;;   b1 = splat(needle[o1]); b2 = splat(needle[o2]); i = start
  ;;   while i + nlen + 15 <= end:
  ;;     m = bitmask(eq(load(i + o1), b1) & eq(load(i + o2), b2))
  ;;     while m != 0: pos = i + ctz(m); if mem[pos..pos+nlen) == needle: return pos; m &= m - 1
  ;;     i += 16
  ;;   while i + nlen <= end: if mem[i..i+nlen) == needle: return i; i++
  ;;   return -1
  ;; params 0 start, 1 end, 2 np, 3 nlen, 4 o1, 5 o2; locals 6 i, 7 m, 8 pos, 9 j (i32), 10 b1, 11 b2 (v128)
  (func $find (type 2) (param i32 i32 i32 i32 i32 i32) (result i32)
    (local i32 i32 i32 i32 v128 v128)
    local.get 2
    local.get 4
    i32.add
    i32.load8_u
    i8x16.splat
    local.set 10
    local.get 2
    local.get 5
    i32.add
    i32.load8_u
    i8x16.splat
    local.set 11
    local.get 0
    local.set 6
    block  ;; label = @1
      loop  ;; label = @2
        local.get 6
        local.get 3
        i32.add
        i32.const 15
        i32.add
        local.get 1
        i32.gt_u
        br_if 1 (;@1;)
        local.get 6
        local.get 4
        i32.add
        v128.load align=1
        local.get 10
        i8x16.eq
        local.get 6
        local.get 5
        i32.add
        v128.load align=1
        local.get 11
        i8x16.eq
        v128.and
        i8x16.bitmask
        local.set 7
        block  ;; label = @3
          loop  ;; label = @4
            local.get 7
            i32.eqz
            br_if 1 (;@3;)
            local.get 6
            local.get 7
            i32.ctz
            i32.add
            local.set 8
            i32.const 0
            local.set 9
            block  ;; label = @5
              block  ;; label = @6
                loop  ;; label = @7
                  local.get 9
                  local.get 3
                  i32.ge_u
                  br_if 1 (;@6;)
                  local.get 8
                  local.get 9
                  i32.add
                  i32.load8_u
                  local.get 2
                  local.get 9
                  i32.add
                  i32.load8_u
                  i32.ne
                  br_if 2 (;@5;)
                  local.get 9
                  i32.const 1
                  i32.add
                  local.set 9
                  br 0 (;@7;)
                end
              end
              local.get 8
              return
            end
            local.get 7
            local.get 7
            i32.const 1
            i32.sub
            i32.and
            local.set 7
            br 0 (;@4;)
          end
        end
        local.get 6
        i32.const 16
        i32.add
        local.set 6
        br 0 (;@2;)
      end
    end
    block  ;; label = @1
      loop  ;; label = @2
        local.get 6
        local.get 3
        i32.add
        local.get 1
        i32.gt_u
        br_if 1 (;@1;)
        i32.const 0
        local.set 9
        block  ;; label = @3
          block  ;; label = @4
            loop  ;; label = @5
              local.get 9
              local.get 3
              i32.ge_u
              br_if 1 (;@4;)
              local.get 6
              local.get 9
              i32.add
              i32.load8_u
              local.get 2
              local.get 9
              i32.add
              i32.load8_u
              i32.ne
              br_if 2 (;@3;)
              local.get 9
              i32.const 1
              i32.add
              local.set 9
              br 0 (;@5;)
            end
          end
          local.get 6
          return
        end
        local.get 6
        i32.const 1
        i32.add
        local.set 6
        br 0 (;@2;)
      end
    end
    i32.const -1)
  ;; findCount(start, end, np, nlen, o1, o2, slot): like find, and also counts newlines on the way, so
  ;; one pass gives both the match and the line number. Before returning it stores at `slot` the
  ;; position `i` up to which it counted and at `slot + 4` the number of 0x0A bytes in [start, i).
  ;; `i` ≤ the returned match position; newlines between `i` and the match are the caller's to count.
  ;;   (find's SIMD loop, with, for each 16-byte block passed without a match:
  ;;    c += popcnt(bitmask(eq(load i, splat 10))))
  ;; params 0 start, 1 end, 2 np, 3 nlen, 4 o1, 5 o2, 6 slot;
  ;; locals 7 i, 8 m, 9 pos, 10 j, 11 c (i32), 12 b1, 13 b2, 14 nl (v128)
  (func $findCount (type 3) (param i32 i32 i32 i32 i32 i32 i32) (result i32)
    (local i32 i32 i32 i32 i32 v128 v128 v128)
    local.get 2
    local.get 4
    i32.add
    i32.load8_u
    i8x16.splat
    local.set 12
    local.get 2
    local.get 5
    i32.add
    i32.load8_u
    i8x16.splat
    local.set 13
    i32.const 10
    i8x16.splat
    local.set 14
    local.get 0
    local.set 7
    block  ;; label = @1
      loop  ;; label = @2
        local.get 7
        local.get 3
        i32.add
        i32.const 15
        i32.add
        local.get 1
        i32.gt_u
        br_if 1 (;@1;)
        local.get 7
        local.get 4
        i32.add
        v128.load align=1
        local.get 12
        i8x16.eq
        local.get 7
        local.get 5
        i32.add
        v128.load align=1
        local.get 13
        i8x16.eq
        v128.and
        i8x16.bitmask
        local.set 8
        block  ;; label = @3
          loop  ;; label = @4
            local.get 8
            i32.eqz
            br_if 1 (;@3;)
            local.get 7
            local.get 8
            i32.ctz
            i32.add
            local.set 9
            i32.const 0
            local.set 10
            block  ;; label = @5
              block  ;; label = @6
                loop  ;; label = @7
                  local.get 10
                  local.get 3
                  i32.ge_u
                  br_if 1 (;@6;)
                  local.get 9
                  local.get 10
                  i32.add
                  i32.load8_u
                  local.get 2
                  local.get 10
                  i32.add
                  i32.load8_u
                  i32.ne
                  br_if 2 (;@5;)
                  local.get 10
                  i32.const 1
                  i32.add
                  local.set 10
                  br 0 (;@7;)
                end
              end
              local.get 6
              local.get 7
              i32.store align=1
              local.get 6
              local.get 11
              i32.store offset=4 align=1
              local.get 9
              return
            end
            local.get 8
            local.get 8
            i32.const 1
            i32.sub
            i32.and
            local.set 8
            br 0 (;@4;)
          end
        end
        local.get 11
        local.get 7
        v128.load align=1
        local.get 14
        i8x16.eq
        i8x16.bitmask
        i32.popcnt
        i32.add
        local.set 11
        local.get 7
        i32.const 16
        i32.add
        local.set 7
        br 0 (;@2;)
      end
    end
    local.get 6
    local.get 7
    i32.store align=1
    local.get 6
    local.get 11
    i32.store offset=4 align=1
    block  ;; label = @1
      loop  ;; label = @2
        local.get 7
        local.get 3
        i32.add
        local.get 1
        i32.gt_u
        br_if 1 (;@1;)
        i32.const 0
        local.set 10
        block  ;; label = @3
          block  ;; label = @4
            loop  ;; label = @5
              local.get 10
              local.get 3
              i32.ge_u
              br_if 1 (;@4;)
              local.get 7
              local.get 10
              i32.add
              i32.load8_u
              local.get 2
              local.get 10
              i32.add
              i32.load8_u
              i32.ne
              br_if 2 (;@3;)
              local.get 10
              i32.const 1
              i32.add
              local.set 10
              br 0 (;@5;)
            end
          end
          local.get 7
          return
        end
        local.get 7
        i32.const 1
        i32.add
        local.set 7
        br 0 (;@2;)
      end
    end
    i32.const -1)
  ;; findAnyCount(start, end, table, meta, K, maxLen, slot): findCount for K needles at once (the
  ;; first position where any of them starts). `meta` holds per needle four i32 (address, length, o1,
  ;; o2), `table` per needle two v128 (its bytes at o1 and o2, splatted). `maxLen` is the longest
  ;; needle. The filter mask is the OR over needles of (eq(load(i + o1), b1) & eq(load(i + o2), b2)).
  ;; params 0 start, 1 end, 2 table, 3 meta, 4 K, 5 maxLen, 6 slot;
  ;; locals 7 i, 8 m, 9 pos, 10 j, 11 c, 12 k, 13 np, 14 nlen, 15 t (i32), 16 nl (v128)
  (func $findAnyCount (type 3) (param i32 i32 i32 i32 i32 i32 i32) (result i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32 i32 v128)
    i32.const 10
    i8x16.splat
    local.set 16
    local.get 0
    local.set 7
    block  ;; label = @1
      loop  ;; label = @2
        local.get 7
        local.get 5
        i32.add
        i32.const 15
        i32.add
        local.get 1
        i32.gt_u
        br_if 1 (;@1;)
        i32.const 0
        local.set 8
        i32.const 0
        local.set 12
        block  ;; label = @3
          loop  ;; label = @4
            local.get 12
            local.get 4
            i32.ge_u
            br_if 1 (;@3;)
            local.get 3
            local.get 12
            i32.const 4
            i32.shl
            i32.add
            local.set 15
            local.get 8
            local.get 7
            local.get 15
            i32.load offset=8 align=1
            i32.add
            v128.load align=1
            local.get 2
            local.get 12
            i32.const 5
            i32.shl
            i32.add
            v128.load align=1
            i8x16.eq
            local.get 7
            local.get 15
            i32.load offset=12 align=1
            i32.add
            v128.load align=1
            local.get 2
            local.get 12
            i32.const 5
            i32.shl
            i32.add
            v128.load offset=16 align=1
            i8x16.eq
            v128.and
            i8x16.bitmask
            i32.or
            local.set 8
            local.get 12
            i32.const 1
            i32.add
            local.set 12
            br 0 (;@4;)
          end
        end
        block  ;; label = @3
          loop  ;; label = @4
            local.get 8
            i32.eqz
            br_if 1 (;@3;)
            local.get 7
            local.get 8
            i32.ctz
            i32.add
            local.set 9
            i32.const 0
            local.set 12
            block  ;; label = @5
              loop  ;; label = @6
                local.get 12
                local.get 4
                i32.ge_u
                br_if 1 (;@5;)
                local.get 3
                local.get 12
                i32.const 4
                i32.shl
                i32.add
                local.set 15
                local.get 15
                i32.load align=1
                local.set 13
                local.get 15
                i32.load offset=4 align=1
                local.set 14
                block  ;; label = @7
                  local.get 9
                  local.get 14
                  i32.add
                  local.get 1
                  i32.gt_u
                  br_if 0 (;@7;)
                  i32.const 0
                  local.set 10
                  block  ;; label = @8
                    block  ;; label = @9
                      loop  ;; label = @10
                        local.get 10
                        local.get 14
                        i32.ge_u
                        br_if 1 (;@9;)
                        local.get 9
                        local.get 10
                        i32.add
                        i32.load8_u
                        local.get 13
                        local.get 10
                        i32.add
                        i32.load8_u
                        i32.ne
                        br_if 2 (;@8;)
                        local.get 10
                        i32.const 1
                        i32.add
                        local.set 10
                        br 0 (;@10;)
                      end
                    end
                    local.get 6
                    local.get 7
                    i32.store align=1
                    local.get 6
                    local.get 11
                    i32.store offset=4 align=1
                    local.get 9
                    return
                  end
                end
                local.get 12
                i32.const 1
                i32.add
                local.set 12
                br 0 (;@6;)
              end
            end
            local.get 8
            local.get 8
            i32.const 1
            i32.sub
            i32.and
            local.set 8
            br 0 (;@4;)
          end
        end
        local.get 11
        local.get 7
        v128.load align=1
        local.get 16
        i8x16.eq
        i8x16.bitmask
        i32.popcnt
        i32.add
        local.set 11
        local.get 7
        i32.const 16
        i32.add
        local.set 7
        br 0 (;@2;)
      end
    end
    local.get 6
    local.get 7
    i32.store align=1
    local.get 6
    local.get 11
    i32.store offset=4 align=1
    block  ;; label = @1
      loop  ;; label = @2
        local.get 7
        local.get 1
        i32.ge_u
        br_if 1 (;@1;)
        local.get 7
        local.set 9
        i32.const 0
        local.set 12
        block  ;; label = @3
          loop  ;; label = @4
            local.get 12
            local.get 4
            i32.ge_u
            br_if 1 (;@3;)
            local.get 3
            local.get 12
            i32.const 4
            i32.shl
            i32.add
            local.set 15
            local.get 15
            i32.load align=1
            local.set 13
            local.get 15
            i32.load offset=4 align=1
            local.set 14
            block  ;; label = @5
              local.get 9
              local.get 14
              i32.add
              local.get 1
              i32.gt_u
              br_if 0 (;@5;)
              i32.const 0
              local.set 10
              block  ;; label = @6
                block  ;; label = @7
                  loop  ;; label = @8
                    local.get 10
                    local.get 14
                    i32.ge_u
                    br_if 1 (;@7;)
                    local.get 9
                    local.get 10
                    i32.add
                    i32.load8_u
                    local.get 13
                    local.get 10
                    i32.add
                    i32.load8_u
                    i32.ne
                    br_if 2 (;@6;)
                    local.get 10
                    i32.const 1
                    i32.add
                    local.set 10
                    br 0 (;@8;)
                  end
                end
                local.get 9
                return
              end
            end
            local.get 12
            i32.const 1
            i32.add
            local.set 12
            br 0 (;@4;)
          end
        end
        local.get 7
        i32.const 1
        i32.add
        local.set 7
        br 0 (;@2;)
      end
    end
    i32.const -1)
  (memory (;0;) 1)
  (export "mem" (memory 0))
  (export "count" (func $count))
  (export "lower" (func $lower))
  (export "find" (func $find))
  (export "findCount" (func $findCount))
  (export "findAnyCount" (func $findAnyCount)))

