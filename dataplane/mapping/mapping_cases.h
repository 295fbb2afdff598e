// Mapping cases whose expected results were observed on nats-server 2.9.10 (see nats_server_test).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dataplane/mapping/weighted_mapping.h"

namespace lattice::mapping::testdata {

// One mapping and one published subject. Sources are pairwise disjoint (nats-server's config
// map has no order), and only deterministic weights are used.
struct MappingCase {
  std::string source;
  std::vector<MapDest> dests;
  std::string input;
  std::optional<std::string> expected;  // nullopt: the server drops the message
};

inline MapDest To(std::string subject, uint8_t weight = 100, std::string cluster = "") {
  return MapDest{std::move(subject), weight, std::move(cluster)};
}

inline std::vector<MappingCase> ObservedCases() {
  return {
      // A literal source maps verbatim; its destination's placeholders are not interpreted.
      {"lit.a", {To("lit.b")}, "lit.a", "lit.b"},
      {"lit2", {To("lit2out.$1")}, "lit2", "lit2out.$1"},
      {"lit3", {To("lit3out.{{partition(3,1)}}")}, "lit3", "lit3out.{{partition(3,1)}}"},
      // $N and {{wildcard(N)}}, reordered, repeated, spaced and capitalised.
      {"wc.*", {To("wcout.$1")}, "wc.foo", "wcout.foo"},
      {"sw.*.*", {To("swout.$2.$1")}, "sw.a.b", "swout.b.a"},
      {"mw.*.*", {To("mwout.{{wildcard(2)}}.{{ Wildcard( 1 ) }}")}, "mw.x.y", "mwout.y.x"},
      {"rep.*.*", {To("repout.$1.$1.$2")}, "rep.a.b", "repout.a.a.b"},
      // $0 reads subject token 0 (Go's map lookup of a missing key yields 0).
      {"zero.*", {To("zeroout.$0.$1")}, "zero.q", "zeroout.zero.q"},
      // `>` carries the remaining tokens.
      {"fw.>", {To("fwout.>")}, "fw.a.b.c", "fwout.a.b.c"},
      {"fw2.*.>", {To("fw2out.$1.x.>")}, "fw2.a.b.c", "fw2out.a.x.b.c"},
      {"fw3.>", {To(">")}, "fw3.a.b", "a.b"},
      // partition: FNV-1a 32 over the tokens concatenated (no separator), mod P.
      {"part.*", {To("partout.{{partition(10,1)}}")}, "part.a", "partout.0"},
      {"part1.*", {To("part1out.{{partition(10,1)}}")}, "part1.hello", "part1out.3"},
      {"part2.*.*", {To("part2out.{{partition(7,1,2)}}.$1.$2")}, "part2.ab.c", "part2out.5.ab.c"},
      {"part3.*.*", {To("part3out.{{partition(7,1,2)}}.$1.$2")}, "part3.a.bc", "part3out.5.a.bc"},
      // A negative count becomes a huge uint32: the raw hash, mod 2^32-1.
      {"partneg.*", {To("pnout.{{partition(-1,1)}}")}, "partneg.a", "pnout.3826002220"},
      // split, splitFromLeft/Right, sliceFromLeft/Right.
      {"split.*", {To("splitout.{{split(1,-)}}")}, "split.a-b-c", "splitout.a.b.c"},
      {"split2.*", {To("split2out.{{split(1,-)}}")}, "split2.-a-", "split2out.a"},
      {"split3.*", {To("split3out.{{split(1,-)}}")}, "split3.a--b", "split3out.a.b"},
      {"split4.*", {To("split4out.{{split(1,-)}}")}, "split4.abc", "split4out.abc"},
      {"splite.*", {To("spliteout.{{split(1,)}}")}, "splite.abc", "spliteout.a.b.c"},
      {"splitl.*", {To("splitlout.{{split(1,ab)}}")}, "splitl.xabyabz", "splitlout.x.y.z"},
      {"sfl.*", {To("sflout.{{splitFromLeft(1,2)}}")}, "sfl.abcdef", "sflout.ab.cdef"},
      {"sfl2.*", {To("sfl2out.{{splitFromLeft(1,2)}}")}, "sfl2.ab", "sfl2out.ab"},
      {"sfr.*", {To("sfrout.{{SplitFromRight(1,2)}}")}, "sfr.abcdef", "sfrout.abcd.ef"},
      {"sll.*", {To("sllout.{{sliceFromLeft(1,2)}}")}, "sll.abcde", "sllout.ab.cd.e"},
      {"sll2.*", {To("sll2out.{{sliceFromLeft(1,2)}}")}, "sll2.abcd", "sll2out.ab.cd"},
      {"sll3.*", {To("sll3out.{{sliceFromLeft(1,2)}}")}, "sll3.a", "sll3out.a"},
      {"slr.*", {To("slrout.{{sliceFromRight(1,2)}}")}, "slr.abcde", "slrout.a.bc.de"},
      {"slr2.*", {To("slr2out.{{sliceFromRight(1,3)}}")}, "slr2.abcdef", "slr2out.abc.def"},
      // A source token that only starts with '*' matches any token, in wildcard and literal
      // sources alike.
      {"star.*x.*", {To("starout.$1")}, "star.zz.q", "starout.q"},
      {"qk.*x", {To("qkout")}, "qk.zz", "qkout"},
      // Signed and out-of-range-low wildcard numbers.
      {"sign.*", {To("signout.$+1")}, "sign.v", "signout.v"},
      {"neg.*", {To("negout.{{wildcard(-3)}}.$1")}, "neg.v", "negout.neg.v"},
      {"bigslice.*",
       {To("bigsliceout.{{sliceFromRight(1,9)}}")},
       "bigslice.abc",
       "bigsliceout.abc"},
      {"utf.*", {To("utfout.{{split(1,)}}")}, "utf.\xC3\xA9z", "utfout.\xC3\xA9.z"},
      // Deterministic weights: 0% with the source listed drops; 0% elsewhere leaves the rest
      // (100%) unchanged; a list for another cluster falls back to the (identity) default.
      {"wdrop", {To("wdrop", 0)}, "wdrop", std::nullopt},
      {"wkeep", {To("wkeepout", 0)}, "wkeep", "wkeep"},
      {"wclus.*", {To("wclusout.$1", 100, "elsewhere")}, "wclus.a", "wclus.a"},
      {"wfull.*", {To("wfullout.$1", 100)}, "wfull.a", "wfullout.a"},
  };
}

}  // namespace lattice::mapping::testdata
