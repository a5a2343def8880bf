/* The profiling marker. The app calls it with -1 before an inference and model.c calls it after
 * each layer (MODEL_LAYER_HOOK); under QEMU the instruction-count plugin snapshots its count each
 * time execution reaches this function, which gives instructions per inference and per layer. */
#include "profile.h"

__attribute__((noinline, noipa, used)) void tc_profile_mark(int op_index)
{
    __asm volatile("" : : "r"(op_index) : "memory");  /* a real call the compiler cannot drop */
}
