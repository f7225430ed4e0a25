// The layer's CUDA graphs (graph.cpp), shared with stream capture (capture.cpp): a graph is
// its nodes in creation order, which is a topological order (a node's dependencies exist
// before it), so running the nodes in that order honours every edge.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "internal.hpp"

struct CUgraphNode_st {
  CUgraph_st* graph = nullptr;
  cudaGraphNodeType type = cudaGraphNodeTypeEmpty;
  simt::detail::Work work;  ///< kernel, memcpy, memset: what runs each time the node does
  std::vector<CUgraphNode_st*> deps;
  // A conditional node: its handle, kind and body graphs (owned by the node).
  cudaGraphConditionalHandle handle = 0;
  cudaGraphConditionalNodeType condition = cudaGraphCondTypeWhile;
  std::vector<cudaGraph_t> bodies;  ///< destroyed with graph_delete
};

struct CUgraph_st {
  std::vector<std::unique_ptr<CUgraphNode_st>> nodes;  ///< in creation order
  CUgraphNode_st* owner = nullptr;  ///< the conditional node whose body this graph is
  int capturing = 0;                ///< capture sequences adding nodes to it
  int execs = 0;                    ///< live executable graphs instantiated from it
};

namespace simt::detail {

/// A new, empty graph (`owner`: the conditional node it is a body of).
cudaGraph_t graph_create(CUgraphNode_st* owner = nullptr);
/// Destroys a graph, its nodes, their bodies and the handles created for any of them.
void graph_delete(cudaGraph_t graph);
/// Whether `graph` is a graph the layer made and has not destroyed.
bool graph_live(cudaGraph_t graph);
/// Appends a node depending on `deps` (nodes of the same graph).
CUgraphNode_st* graph_add(cudaGraph_t graph, cudaGraphNodeType type,
                          std::vector<CUgraphNode_st*> deps);
/// Removes the nodes added after the first `count` (a failed capture into an existing graph).
void graph_truncate(cudaGraph_t graph, std::size_t count);

}  // namespace simt::detail
