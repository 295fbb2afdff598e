// Includes Debian's libraft headers with C linkage (raft.h has no extern "C" guards of its own).
#pragma once

#include <uv.h>

extern "C" {
#include <raft.h>
#include <raft/fixture.h>
#include <raft/uv.h>
}
