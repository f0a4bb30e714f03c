// Internal: the Salsa20/12 double round written once over an abstract
// vector type, so each ISA file (compiled with its own flags) instantiates
// it for its own registers. V must provide add(a,b), xor_(a,b) and
// rotl<N>(a), each acting on 32-bit words lane by lane. Include only from
// salsa2012_<isa>.cpp, inside an anonymous namespace there.
#pragma once

template <class V>
inline void salsa_quarter(V& a, V& b, V& c, V& d) {
  // Salsa20's quarter round: b ^= (a+d)<<<7, c ^= (b+a)<<<9, ...
  b = xor_(b, rotl<7>(add(a, d)));
  c = xor_(c, rotl<9>(add(b, a)));
  d = xor_(d, rotl<13>(add(c, b)));
  a = xor_(a, rotl<18>(add(d, c)));
}

// 12 rounds = 6 double rounds (column round then row round).
template <class V>
inline void salsa2012_rounds(V x[16]) {
  for (int i = 0; i < 6; ++i) {
    salsa_quarter(x[0], x[4], x[8], x[12]);
    salsa_quarter(x[5], x[9], x[13], x[1]);
    salsa_quarter(x[10], x[14], x[2], x[6]);
    salsa_quarter(x[15], x[3], x[7], x[11]);
    salsa_quarter(x[0], x[1], x[2], x[3]);
    salsa_quarter(x[5], x[6], x[7], x[4]);
    salsa_quarter(x[10], x[11], x[8], x[9]);
    salsa_quarter(x[15], x[12], x[13], x[14]);
  }
}
