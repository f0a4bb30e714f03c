// The one place flatnetd's service code takes the VL2 member's interface
// from (control/vl2/member.hpp, VL2-PLAN.md).
#pragma once

#include "control/vl2/member.hpp"
