"""Multi-GPU (or multi-process CPU) training under `torchrun`: read its environment, nothing home-made.

torchrun sets RANK, LOCAL_RANK and WORLD_SIZE; with WORLD_SIZE > 1 we join the process group
(NCCL on CUDA, gloo on CPU) and every process trains on its DistributedSampler share.
"""

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Context:
    rank: int
    world_size: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def setup(device: str = "auto") -> Context:
    """The process's rank and device; joins the process group when launched by torchrun with several processes."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = torch.cuda.is_available() if device == "auto" else device == "cuda"
    if use_cuda and not torch.cuda.is_available():
        raise ValueError("--device cuda asked for, but torch sees no CUDA device; use --device cpu or auto")
    target = torch.device("cuda", local_rank % torch.cuda.device_count()) if use_cuda else torch.device("cpu")
    if use_cuda:
        torch.cuda.set_device(target)
    if world_size > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if use_cuda else "gloo", rank=rank, world_size=world_size)
    return Context(rank=rank, world_size=world_size, device=target)


def teardown(context: Context) -> None:
    """Leave the process group together: the main process validates after the last epoch while the others
    are done, and a process that destroys the group while a peer is still busy in it can hang at exit."""
    if context.distributed and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
