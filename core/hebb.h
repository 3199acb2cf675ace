// The public API of hebb in one include: #include <hebb/hebb.h> once installed.
#pragma once

#include "core/gradcheck.h"
#include "core/ops.h"
#include "core/random.h"
#include "core/safetensors.h"
#include "core/tensor.h"
#include "datasets/dataset.h"
#include "datasets/loader.h"
#include "datasets/source.h"
#include "datasets/splits.h"
#include "layers/layers.h"
#include "layers/loss.h"
#include "layers/mlp.h"
#include "layers/module.h"
#include "optim/optimizer.h"
#include "optim/scheduler.h"
#include "regularizers/regularizer.h"
