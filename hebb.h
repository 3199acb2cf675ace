// The public API of hebb in one include: #include <hebb/hebb.h> once installed.
#pragma once

#if __cplusplus < 202002L
#error "hebb needs C++20: compile with -std=c++20 (pkg-config --cflags hebb adds it)"
#endif

#include "core/gemm.h"
#include "core/gradcheck.h"
#include "core/ops.h"
#include "core/random.h"
#include "core/state_dict.h"
#include "core/tensor.h"
#include "datasets/csv.h"
#include "datasets/dataset.h"
#include "datasets/idx.h"
#include "datasets/images.h"
#include "datasets/loader.h"
#include "datasets/source.h"
#include "datasets/splits.h"
#include "io/file.h"
#include "io/safetensors.h"
#include "layers/layers.h"
#include "layers/loss.h"
#include "layers/mlp.h"
#include "layers/module.h"
#include "layers/prune.h"
#include "optim/optimizer.h"
#include "optim/scheduler.h"
#include "regularizers/bean.h"
#include "regularizers/regularizer.h"
#include "training/checkpoint.h"
#include "training/evaluate.h"
#include "training/trainer.h"
