FROM pytorch/pytorch:2.4.1-cuda12.4-cudnn9-runtime
RUN conda install -y -c conda-forge jupyterlab=4.2 ipywidgets && conda clean -afy
RUN useradd -m -s /bin/bash researcher
USER researcher
WORKDIR /home/researcher
EXPOSE 8888
VOLUME ["/home/researcher/notebooks"]
CMD ["jupyter", "lab", "--ip=0.0.0.0", "--no-browser", "--ServerApp.token="]
